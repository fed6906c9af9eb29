#!/bin/bash
# Builds the measured server variants from one snapshot of the working tree:
#   new   the tree as it is (engine/epoll asks netpoll for WaitSyscall)
#   park  the same with engine/epoll left on netpoll's default, WaitPark
#   old   the same with netpoll/ as of commit 9aa2f4a (before WaitPark)
set -euo pipefail
repo=${REPO:-/work/main}
snap=/tmp/np/snap
rm -rf $snap && mkdir -p $snap
(cd $repo && tar --exclude=./.git --exclude=./out --exclude=./bin -cf - .) | tar -xf - -C $snap
cd $snap
rm -rf /tmp/np/new /tmp/np/park /tmp/np/old /tmp/np/syscall /tmp/np/syscall-locked
go build -o /tmp/np/new/ ./cmd/...
grep -q '		Wait: netpoll.WaitSyscall,' engine/epoll/server_linux.go
sed -i '/		Wait: netpoll.WaitSyscall,/d' engine/epoll/server_linux.go
go build -o /tmp/np/park/ ./cmd/echo-tcp ./cmd/echo-udp
sed -i 's/		IdleBoundsPartial: true,/		IdleBoundsPartial: true,\n		Wait: netpoll.WaitSyscall, LockThreads: true,/' engine/epoll/server_linux.go
go build -o /tmp/np/syscall-locked/ ./cmd/echo-tcp ./cmd/echo-udp
rm -rf netpoll && (cd $repo && git archive 9aa2f4a netpoll) | tar -x
# engines read Stats.Resumed, counted since; the old reactor reports 0.
sed -i 's/^\tBackpressure uint64$/\tBackpressure uint64\n\tResumed uint64/' netpoll/stats.go
grep -q 'Resumed uint64' netpoll/stats.go
sed -i '/		Wait: netpoll.WaitSyscall, LockThreads: true,/d' engine/epoll/server_linux.go
go build -o /tmp/np/old/ ./cmd/echo-tcp ./cmd/echo-udp
git -C $repo log --oneline -1
ls /tmp/np/new /tmp/np/park /tmp/np/old /tmp/np/syscall-locked
