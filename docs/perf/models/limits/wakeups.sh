#!/bin/bash
# wakeups.sh: for each engine and work, one echo-tcp pinned to CPU 1 and
# echo-bench on CPU 0 (50 connections, 64 B ping-pong, 6 s); over 3 s in
# the middle of the run it counts, per echoed message, the server's CPU
# time, context switches and system calls (perf stat on the server) and
# the function-call interrupts CPU 0 received (/proc/interrupts, CAL):
# the inter-processor interrupts a wake-up of a thread asleep on the
# other CPU costs. Needs perf and root.
#
#   BIN=bin ENGINES="std epoll" WORKS="none cpu:20us" CONNS=50 docs/perf/models/limits/wakeups.sh
set -euo pipefail
BIN=${BIN:-bin}
ENGINES=${ENGINES:-std threads epoll uring pool gnet}
WORKS=${WORKS:-none cpu:20us}
CONNS=${CONNS:-50}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cal() { awk '/CAL:/{print $2}' /proc/interrupts; }
printf '%-8s %-9s %5s %9s %10s %9s %9s %12s\n' engine work conns msgs/s cpu_us/msg ctxsw/msg sysc/msg cpu0_ipi/msg
for work in $WORKS; do
	for eng in $ENGINES; do
		port=$((20000 + RANDOM % 20000))
		taskset -c 1 "$BIN/echo-tcp" --engine "$eng" --addr "127.0.0.1:$port" --work "$work" >"$tmp/srv" 2>&1 &
		spid=$!
		for _ in $(seq 100); do grep -q '^listening' "$tmp/srv" && break; sleep 0.1; done
		"$BIN/echo-bench" --addr "127.0.0.1:$port" --conns "$CONNS" --depth 1 --size 64 \
			--duration 5s --warmup 1s --cpus 0 --json "$tmp/out.json" >/dev/null 2>&1 &
		cpid=$!
		sleep 2 # into the measured part of the run
		c0=$(cal)
		perf stat -x, -e task-clock,context-switches,raw_syscalls:sys_enter -p "$spid" -- sleep 3 2>"$tmp/stat"
		c1=$(cal)
		wait "$cpid"
		kill -TERM "$spid"
		wait "$spid" || true
		python3 - "$tmp" "$eng" "$work" "$CONNS" "$((c1 - c0))" <<'PY'
import csv, json, sys
tmp, eng, work, conns, ipis = sys.argv[1:6]
mps = json.load(open(f"{tmp}/out.json"))["msgs_per_sec"]
v = {r[2]: float(r[0]) for r in csv.reader(open(f"{tmp}/stat")) if len(r) > 3 and r[0][:1].isdigit()}
n = mps * 3
print(f"{eng:8} {work:9} {conns:>5} {mps:9.0f} {v['task-clock'] * 1e3 / n:10.2f} "
      f"{v['context-switches'] / n:9.2f} {v['raw_syscalls:sys_enter'] / n:9.2f} {int(ipis) / n:12.2f}")
PY
	done
done
