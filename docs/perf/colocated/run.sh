#!/bin/bash
# The measurements behind docs/perf/README.md, "Loops that share the
# process", in the order they ran. Binaries from /tmp/np/build.sh,
# colocate from /tmp/np/build-colocate.sh.
set -uo pipefail
cd /tmp/meas/final
B=/tmp/np/new/echo-bench
log() { echo "== $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg): $*"; }
log "probe c1 64B d1"
for r in $(seq 1 8); do
	for v in old new park syscall-locked; do
		BIN=/tmp/np/new DUR=3s /work/main/perf/probe.sh $v 1 64 1 -- /tmp/np/$v/echo-tcp --engine epoll 2>&1 | tail -1
	done
done > probe-c1.txt
log "matrix"
(cd /work/main && $B matrix --bin /tmp/np/new --engines epoll,cref --variant 'old=epoll bin:/tmp/np/old' \
	--variant 'park=epoll bin:/tmp/np/park' --conns 1,50 --sizes 64 --depths 1,16 --udp-conns none \
	--idle-conns 0 --repeats 5 -q --out /tmp/meas/final/matrix) > matrix.txt 2>&1
for i in 1 2; do
	log "pingpong run $i"
	/tmp/colocate-m pingpong --variants old,syscall,syscall-unlocked,park,park-locked,net --rounds 20 --csv pingpong-$i.csv > pingpong-$i.txt 2>&1
done
log "scrape in-process, GOMAXPROCS=1 on CPU 1, load on CPU 0"
GOMAXPROCS=1 taskset -c 1 /tmp/colocate-m scrape --variants old,syscall-unlocked,park,net --load-bin $B --load-cpus 0 \
	--duration 5s --rounds 5 --csv scrape-inproc-p1.csv > scrape-inproc-p1.txt 2>&1
log "scrape in-process, GOMAXPROCS=2, nothing pinned"
/tmp/colocate-m scrape --variants old,syscall-unlocked,park,net --load-bin $B \
	--duration 5s --rounds 5 --csv scrape-inproc-p2.csv > scrape-inproc-p2.txt 2>&1
log "scrape binaries, server on CPU 1, load on CPU 0"
/tmp/colocate-m scrape --bins old=/tmp/np/old,new=/tmp/np/new,park=/tmp/np/park --server-cpus 1 --load-bin $B --load-cpus 0 \
	--duration 5s --rounds 5 --csv scrape-bins.csv 2>&1 | grep -v 'shutting down' > scrape-bins.txt
log "scrape in-process idle, GOMAXPROCS=1"
GOMAXPROCS=1 taskset -c 1 /tmp/colocate-m scrape --variants old,syscall-unlocked,park,net --conns 0 \
	--duration 3s --rounds 3 --csv scrape-inproc-idle.csv > scrape-inproc-idle.txt 2>&1
log "scrape binaries idle"
/tmp/colocate-m scrape --bins old=/tmp/np/old,new=/tmp/np/new,park=/tmp/np/park --server-cpus 1 --conns 0 \
	--duration 3s --rounds 3 --csv scrape-bins-idle.csv 2>&1 | grep -v 'shutting down' > scrape-bins-idle.txt
log done
