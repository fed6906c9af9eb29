#!/bin/bash
# probe.sh: what one echo server spends per message, from perf stat.
#
#   perf/probe.sh LABEL CONNS SIZE DEPTH [ENV=VALUE...] -- SERVER [ARGS...]
#
# Starts SERVER --addr 127.0.0.1:0 pinned to CPU 1 (GOMAXPROCS=1 unless an
# ENV argument says otherwise), warms it up with echo-bench pinned to CPU 0,
# then counts every system call (raw_syscalls:sys_enter), every context
# switch and the CPU time of all its threads with perf stat while echo-bench
# runs for DUR (default 3s), and prints them per echoed message with the
# client's figures. NET=udp loads a UDP server. Needs root and perf.
#
# Example, the epoll engine against the C reference, 1 connection, 64 B:
#   make build
#   perf/probe.sh epoll 1 64 1 -- bin/echo-tcp --engine epoll --loops 1
#   perf/probe.sh cref  1 64 1 -- bin/echo-cref
set -euo pipefail
[ $# -ge 6 ] || { sed -n '2,17p' "$0" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
. "$(dirname "$0")/server.sh"
load() { "$BIN/echo-bench" run --net "${NET:-tcp}" --addr "$addr" --conns "$conns" --size "$size" --depth "$depth" -q --cpus 0 "$@"; }
load --duration 1s --warmup 0.3s >/dev/null
perf stat -x, -e raw_syscalls:sys_enter,context-switches,task-clock -p "$server" -o "$out/perf.txt" -- sleep 3600 2>/dev/null &
perf=$!
sleep 0.1
load --duration "${DUR:-3s}" --warmup 0s --json "$out/client.json" >/dev/null
# Ending perf's sleep ends perf stat, which then writes its counts.
kill "$(pgrep -P "$perf" sleep)"
wait "$perf" || true
kill -TERM "$server"
wait "$server" || true
python3 - "$label" "$out" <<'PY'
import json, sys
label, out = sys.argv[1], sys.argv[2]
r = json.load(open(out + "/client.json"))
msgs = r["messages"]
perf = {}
for line in open(out + "/perf.txt"):
    p = line.strip().split(",")
    if len(p) > 3 and p[0][:1].isdigit():
        perf[p[2]] = float(p[0])
sc, cs, ms = perf.get("raw_syscalls:sys_enter", 0), perf.get("context-switches", 0), perf.get("task-clock", 0)
c = r["client"]
print(f"{label:14s} msgs/s={r['msgs_per_sec']:9.0f} p50={r['latency']['p50_us']:7.1f} p99={r['latency']['p99_us']:7.1f} "
      f"syscalls/msg={sc/msgs:5.2f} ctxsw/msg={cs/msgs:5.2f} cpu_us/msg={ms*1000/msgs:6.2f} "
      f"client={c['utilization']:.2f} busy, {c['us_per_msg']:.2f} us/msg")
PY
