#!/usr/bin/env bash
# Where a relay-tcp process spends its context switches and CPU, thread by
# thread, per message: echo-bench → relay-tcp → echo-tcp with one
# connection, as run.sh runs them (relay-tcp alone on CPU 1, echo-tcp and
# echo-bench on CPU 0), for two builds of relay-tcp in turn. Each run
# reads every thread's voluntary and involuntary context switches
# (/proc/PID/task/TID/status) and its time on CPU (schedstat) before and
# after one echo-bench run, and divides by the messages echo-bench
# counted. No tracer is attached, so nothing slows the process down.
#
# The loop's thread is the one with most CPU; a Go process's sysmon runs
# on a thread of its own, whose every wake-up is a voluntary switch.
#
# Usage: docs/perf/relay/threads.sh NEW_DIR OLD_DIR   (folders holding
# relay-tcp; NEW_DIR also echo-tcp and echo-bench)
# Environment: CELLS (SIZE:DEPTH:CONNS triples, default "1024:1:1
# 65536:1:1"), REPEATS (default 3), DURATION (default 2s).
set -euo pipefail

NEW=$1 OLD=$2
CELLS=${CELLS:-"1024:1:1 65536:1:1"}
REPEATS=${REPEATS:-3}
DURATION=${DURATION:-2s}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

ECHO=127.0.0.1:19400
taskset -c 0 "$NEW/echo-tcp" --addr $ECHO --engine epoll --loops 1 --framing length --max-frame 2MiB >/dev/null 2>&1 &
PIDS+=("$!")
declare -A PID PORT=([new]=19401 [old]=19402)
for b in new old; do
	dir=$NEW
	[ $b = old ] && dir=$OLD
	taskset -c 1 "$dir/relay-tcp" --loops 1 --addr "127.0.0.1:${PORT[$b]}" --upstream $ECHO >/dev/null 2>&1 &
	PID[$b]=$!
	PIDS+=("$!")
done
for port in 19400 19401 19402; do
	for _ in $(seq 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
		sleep 0.05
	done
done

# snap PID: one line per thread: TID voluntary involuntary cpu_ns
snap() {
	local t
	for t in /proc/"$1"/task/*; do
		echo "$(basename "$t") $(awk '/^voluntary_ctxt/ {v=$2} /^nonvoluntary_ctxt/ {n=$2} END {print v, n}' "$t/status") $(awk '{print $1}' "$t/schedstat")"
	done | sort
}

echo "size,depth,conns,repeat,build,thread,voluntary_per_msg,involuntary_per_msg,cpu_us_per_msg,messages,load1"
for rep in $(seq "$REPEATS"); do
	for cell in $CELLS; do
		IFS=: read -r size depth conns <<<"$cell"
		order="new old"
		[ $((rep % 2)) = 0 ] && order="old new"
		for b in $order; do
			snap "${PID[$b]}" >"$WORK/t0"
			"$NEW/echo-bench" --addr "127.0.0.1:${PORT[$b]}" --cpus 0 --framing length --max-frame 2MiB \
				--size "$size" --depth "$depth" --conns "$conns" --duration "$DURATION" --warmup 0s \
				--json "$WORK/run.json" -q >/dev/null 2>&1
			snap "${PID[$b]}" >"$WORK/t1"
			msgs=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['messages'])" "$WORK/run.json")
			join "$WORK/t0" "$WORK/t1" | awk -v m="$msgs" -v pre="$size,$depth,$conns,$rep,$b" -v l="$(cut -d' ' -f1 /proc/loadavg)" '
				{ dv = $5 - $2; dn = $6 - $3; dc = ($7 - $4) / 1000
				  if (m > 0 && (dv + dn > 0 || dc > 0)) printf "%s,%s,%.3f,%.3f,%.2f,%d,%s\n", pre, $1, dv / m, dn / m, dc / m, m, l }'
		done
	done
done
