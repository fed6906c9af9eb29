#!/usr/bin/env bash
# System calls per message of relay-tcp (--splice=auto) and HAProxy (TCP
# mode, forced splice and without), for one connection sending one
# message at a time: echo-bench → forwarder → echo-tcp, as run.sh runs
# them, with the forwarder alone on CPU 1. Each forwarder's system calls
# are counted with perf's syscall tracepoints (perf stat -p), which unlike
# strace do not slow the process down enough to change what it does,
# over echo-bench --count N messages, and divided by N.
#
# Usage: docs/perf/relay/syscalls.sh   (needs perf with tracepoint access,
# haproxy and root or kernel.perf_event_paranoid <= 1)
# Environment: SIZES (default "1024 65536"), ROUNDS (default 2), PREBUILT
# (a folder holding echo-tcp, relay-tcp and echo-bench already built).
set -euo pipefail

ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
SIZES=${SIZES:-"1024 65536"}
ROUNDS=${ROUNDS:-2}
for tool in perf haproxy; do
	command -v $tool >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
BIN=${PREBUILT:-$WORK/bin}
[ -n "${PREBUILT:-}" ] || (cd "$ROOT" && go build -o "$BIN/" ./cmd/echo-tcp ./cmd/relay-tcp ./cmd/echo-bench)

ECHO=127.0.0.1:19600
haproxy_cfg() { # PORT SPLICE(0|1)
	cat <<CFG
global
	nbthread 1
defaults
	mode tcp
	timeout connect 5s
	timeout client 120s
	timeout server 120s
listen relay
	bind 127.0.0.1:$1
	$([ "$2" = 1 ] && printf 'option splice-request\n\toption splice-response' || printf 'no option splice-auto')
	server echo $ECHO
CFG
}
haproxy_cfg 19604 1 >"$WORK/haproxy-splice.cfg"
haproxy_cfg 19605 0 >"$WORK/haproxy-copy.cfg"

declare -A PORT PID
start() { # NAME PORT CMD...
	local name=$1 port=$2
	shift 2
	"$@" >"$WORK/$name.log" 2>&1 &
	PIDS+=("$!")
	PID[$name]=$!
	PORT[$name]=$port
	for _ in $(seq 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "$name did not start" >&2
	cat "$WORK/$name.log" >&2
	exit 1
}
start echo 19600 taskset -c 0 "$BIN/echo-tcp" --addr $ECHO --engine epoll --loops 1 --framing length --max-frame 2MiB
start relay-auto 19606 taskset -c 1 "$BIN/relay-tcp" --loops 1 --addr 127.0.0.1:19606 --upstream $ECHO --splice=auto
start haproxy-splice 19604 taskset -c 1 haproxy -db -f "$WORK/haproxy-splice.cfg"
start haproxy-copy 19605 taskset -c 1 haproxy -db -f "$WORK/haproxy-copy.cfg"

CALLS="read write epoll_pwait epoll_wait nanosleep futex splice sendto recvfrom clock_gettime"
EV=raw_syscalls:sys_enter
for s in $CALLS; do EV=$EV,syscalls:sys_enter_$s; done
echo "round,size,target,messages,all,${CALLS// /,},load1"
for round in $(seq "$ROUNDS"); do
	for size in $SIZES; do
		n=$((size >= 65536 ? 3000 : 10000))
		for t in relay-auto haproxy-copy haproxy-splice; do
			perf stat -x, -e "$EV" -p "${PID[$t]}" -o "$WORK/stat" &
			sp=$!
			sleep 0.3 # perf attaches
			"$BIN/echo-bench" --addr "127.0.0.1:${PORT[$t]}" --cpus 0 --framing length --max-frame 2MiB \
				--size "$size" --depth 1 --conns 1 --count $n --warmup 0s -q >/dev/null
			kill -INT $sp
			wait $sp || true
			printf '%s,%s,%s,%s' "$round" "$size" "$t" "$n"
			for s in sys_enter $CALLS; do
				c=$(awk -F, -v e="$s" '{k=$3; sub(/.*:/, "", k); sub(/^sys_enter_/, "", k); if (k == e || (e == "sys_enter" && $3 ~ /raw_syscalls/)) print $1}' "$WORK/stat")
				awk -v c="${c:-0}" -v n=$n 'BEGIN {printf ",%.2f", c / n}'
			done
			echo ",$(cut -d' ' -f1 /proc/loadavg)"
		done
	done
done
