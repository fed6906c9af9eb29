#!/bin/bash
# ab.sh REPEATS: the three holding rules of ../README.md, interleaved.
# RAWNET_HELD (connections), RAWNET_HBYTES (bytes) and RAWNET_DMAX (largest
# write held) were the bounds of the experiment's build, read from the
# environment; the shipped code has the winning rule as constants
# (deferMax, heldMax in netpoll/write_linux.go) and ignores them.
here=$(dirname "$0")
R=${1:-3}
cells=("1024 16 500 none" "16384 1 500 none" "64 16 50 none" "64 1 500 none" "64 1 50 cpu:20us" "64 1 500 cpu:20us" "1024 1 50 none")
for r in $(seq $R); do
 for cell in "${cells[@]}"; do
  set -- $cell
  SIZE=$1 DEPTH=$2 "$here/one.sh" "now s$1 d$2" $3 $4 1 --engine epoll --defer-writes=false
  RAWNET_HELD=16 RAWNET_DMAX=4096 SIZE=$1 DEPTH=$2 "$here/one.sh" "h16 s$1 d$2" $3 $4 1 --engine epoll
  RAWNET_HELD=100000 RAWNET_HBYTES=65536 RAWNET_DMAX=2048 SIZE=$1 DEPTH=$2 "$here/one.sh" "b64k s$1 d$2" $3 $4 1 --engine epoll
 done
done
