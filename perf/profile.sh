#!/bin/bash
# profile.sh: where one echo server spends its CPU, from perf record.
#
#   perf/profile.sh LABEL CONNS SIZE DEPTH [ENV=VALUE...] -- SERVER [ARGS...]
#
# Starts SERVER --addr 127.0.0.1:0 pinned to CPU 1 (GOMAXPROCS=1 unless an
# ENV argument says otherwise), loads it with echo-bench pinned to CPU 0,
# samples it for 2 s with call graphs into LABEL.perf.data and prints the
# hottest symbols, the share of user and kernel code and the system calls
# the time goes to. The machine is a VM without hardware counters, so
# samples come from the cpu-clock timer and pile up where interrupts are
# re-enabled (_raw_spin_unlock_irqrestore, finish_task_switch): read those
# as "waking another thread" and "being woken". NET=udp loads a UDP server.
#
# Example:
#   perf/profile.sh epoll 1 64 1 -- bin/echo-tcp --engine epoll --loops 1
set -euo pipefail
[ $# -ge 6 ] || { sed -n '2,16p' "$0" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
. "$(dirname "$0")/server.sh"
"$BIN/echo-bench" run --net "${NET:-tcp}" --addr "$addr" --conns "$conns" --size "$size" --depth "$depth" \
	--duration 4s --warmup 0.5s -q --cpus 0 >/dev/null &
client=$!
sleep 1
perf record -F 4999 -g -p "$server" -o "$label.perf.data" -- sleep 2 >/dev/null 2>&1
wait "$client" || true
kill -TERM "$server"
wait "$server" || true
report() { perf report -i "$label.perf.data" --stdio "$@" 2>/dev/null | grep -E '^ +[0-9]'; }
echo "== $label: user and kernel"
report --no-children --sort dso | head -4
echo "== $label: system calls and scheduling, inclusive"
report --children -g none --sort sym | grep -E '__x64_sys_|\] schedule$|\] do_softirq' | head -12
echo "== $label: hottest symbols"
report --no-children -g none --sort sym | head -25
