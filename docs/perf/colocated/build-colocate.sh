#!/bin/bash
# Builds /tmp/colocate-m: colocate from the working tree plus the "old"
# variant (netpoll as of commit 9aa2f4a, copied into oldnetpoll), from a
# snapshot in /tmp/np/csnap.
set -euo pipefail
repo=${REPO:-/work/main}
here=$repo/docs/perf/colocated
snap=/tmp/np/csnap
rm -rf $snap && mkdir -p $snap
(cd $repo && tar --exclude=./.git --exclude=./out --exclude=./bin -cf - .) | tar -xf - -C $snap
cd $snap
mkdir -p netpoll/internal/colocate/oldnetpoll
for f in $(git -C $repo ls-tree --name-only 9aa2f4a netpoll/ | grep '\.go$' | grep -v _test.go); do
	git -C $repo show 9aa2f4a:$f > netpoll/internal/colocate/oldnetpoll/$(basename $f)
done
cp $here/old.go.txt netpoll/internal/colocate/old.go
patch -p1 < $here/old-variant.patch
go build -o /tmp/colocate-m ./netpoll/internal/colocate
echo built /tmp/colocate-m
