#!/usr/bin/env bash
# Forwarders side by side: echo-bench → forwarder → echo-tcp, for relay-tcp
# with each --splice setting (auto, on, off), gorelay (Go's net with io.Copy, bench/gorelay) and
# HAProxy in TCP mode with forced splice and without. Every forwarder runs
# at once, pinned to CPU 1 with one thread or loop; echo-tcp (epoll, one
# loop) and echo-bench share CPU 0, so each forwarder has CPU 1 to itself
# while it is measured. "direct" is echo-bench straight to echo-tcp, the
# baseline the added p99 is taken from.
#
# Per cell (size x depth x conns) and repeat, the targets run one after
# the other, their order rotating, so a noisy neighbour hits them all
# alike. For each run: the forwarder's utime+stime (/proc/PID/stat) and
# the echo server's byte counters (its /metrics) are read before and after
# the whole echo-bench process, so CPU per byte covers every byte the
# forwarder carried, warm-up and final drain included; msgs/s, MB/s and
# latency come from echo-bench's measured window; RSS is read halfway
# through. An idle phase then holds IDLE_CONNS pairs through each
# forwarder and reads its RSS per pair.
#
# Usage: docs/perf/relay/run.sh [OUT_DIR]   (default docs/perf/relay)
# Environment: SIZES, DEPTHS, CONNS, REPEATS, DURATION, WARMUP, IDLE_CONNS,
# TARGETS (a subset of the names below; relay-pipe1m, relay-tcp splicing
# through 1 MiB pipes, only when named), PREBUILT (a folder holding
# echo-tcp, relay-tcp, echo-bench and gorelay already built; otherwise
# they are built from this checkout), BASELINE (a folder holding another
# build of relay-tcp, run as relay-auto-old and relay-copy-old when
# TARGETS names them), CELLS (SIZE:DEPTH:CONNS triples, such as
# "1024:1:1 65536:16:50", run instead of SIZES x DEPTHS x CONNS).
set -euo pipefail

ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
OUT=${1:-$ROOT/docs/perf/relay}
SIZES=${SIZES:-"1024 65536 1048576"}
DEPTHS=${DEPTHS:-"1 16"}
CONNS=${CONNS:-"1 50"}
REPEATS=${REPEATS:-3}
DURATION=${DURATION:-3s}
WARMUP=${WARMUP:-500ms}
IDLE_CONNS=${IDLE_CONNS:-1000}
TARGETS=${TARGETS:-"direct relay-auto relay-splice relay-copy gorelay haproxy-splice haproxy-copy"}
FWD_CPU=1
CLIENT_CPU=0

command -v haproxy >/dev/null || { echo "haproxy is not installed (apt-get install -y haproxy)" >&2; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d)
BIN=$WORK/bin
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${PREBUILT:-}" ]; then
	BIN=$PREBUILT
else
	(cd "$ROOT" && go build -o "$BIN/" ./cmd/echo-tcp ./cmd/relay-tcp ./cmd/echo-bench ./bench/gorelay)
fi

ECHO=127.0.0.1:19000
ECHO_METRICS=127.0.0.1:19190
declare -A ADDR=([direct]=$ECHO [relay-auto]=127.0.0.1:19106 [relay-pipe1m]=127.0.0.1:19107 [relay-splice]=127.0.0.1:19101 [relay-copy]=127.0.0.1:19102
	[gorelay]=127.0.0.1:19103 [haproxy-splice]=127.0.0.1:19104 [haproxy-copy]=127.0.0.1:19105
	[relay-auto-old]=127.0.0.1:19108 [relay-copy-old]=127.0.0.1:19109)
declare -A PID

# start NAME LOGFILE CMD...: runs CMD in the background, waits for its
# listening socket and records its pid; a forwarder not in TARGETS is
# not started.
start() {
	local name=$1 log=$2
	shift 2
	[[ " $TARGETS direct " == *" $name "* ]] || return 0
	"$@" >"$log" 2>&1 &
	PID[$name]=$!
	PIDS+=("$!")
	local hostport=${ADDR[$name]:-$ECHO}
	for _ in $(seq 200); do
		if (exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "$name did not start:" >&2
	cat "$log" >&2
	exit 1
}

haproxy_cfg() { # PORT SPLICE(0|1)
	cat <<CFG
global
	nbthread 1
	maxconn 4000
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
haproxy_cfg 19104 1 >"$WORK/haproxy-splice.cfg"
haproxy_cfg 19105 0 >"$WORK/haproxy-copy.cfg"

start direct "$WORK/echo.log" taskset -c $CLIENT_CPU "$BIN/echo-tcp" --addr $ECHO --engine epoll --loops 1 \
	--framing length --max-frame 2MiB --metrics-addr $ECHO_METRICS
start relay-auto "$WORK/relay-auto.log" taskset -c $FWD_CPU "$BIN/relay-tcp" --loops 1 --addr "${ADDR[relay-auto]}" --upstream $ECHO --splice=auto
start relay-splice "$WORK/relay-splice.log" taskset -c $FWD_CPU "$BIN/relay-tcp" --loops 1 --addr "${ADDR[relay-splice]}" --upstream $ECHO --splice=on
start relay-pipe1m "$WORK/relay-pipe1m.log" taskset -c $FWD_CPU "$BIN/relay-tcp" --loops 1 --addr "${ADDR[relay-pipe1m]}" --upstream $ECHO --splice=on --pipe-size 1MiB
start relay-copy "$WORK/relay-copy.log" taskset -c $FWD_CPU "$BIN/relay-tcp" --loops 1 --addr "${ADDR[relay-copy]}" --upstream $ECHO --splice=off
if [ -n "${BASELINE:-}" ]; then
	start relay-auto-old "$WORK/relay-auto-old.log" taskset -c $FWD_CPU "$BASELINE/relay-tcp" --loops 1 --addr "${ADDR[relay-auto-old]}" --upstream $ECHO --splice=auto
	start relay-copy-old "$WORK/relay-copy-old.log" taskset -c $FWD_CPU "$BASELINE/relay-tcp" --loops 1 --addr "${ADDR[relay-copy-old]}" --upstream $ECHO --splice=off
elif [[ " $TARGETS " == *"-old "* ]]; then
	echo "relay-auto-old and relay-copy-old need BASELINE" >&2
	exit 1
fi
start gorelay "$WORK/gorelay.log" env GOMAXPROCS=1 taskset -c $FWD_CPU "$BIN/gorelay" "${ADDR[gorelay]}" $ECHO
start haproxy-splice "$WORK/haproxy-splice.log" taskset -c $FWD_CPU haproxy -db -f "$WORK/haproxy-splice.cfg"
start haproxy-copy "$WORK/haproxy-copy.log" taskset -c $FWD_CPU haproxy -db -f "$WORK/haproxy-copy.cfg"

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
echo_bytes() { curl -s "http://$ECHO_METRICS/metrics" | awk '/^rawnet_received_bytes_total/ {printf "%.0f\n", $2}'; }
load1() { cut -d' ' -f1 /proc/loadavg; }
secs() { date +%s.%N; }

RUNS=$OUT/runs.csv
echo "size,depth,conns,repeat,target,wall_s,fwd_cpu_s,bytes_each_way,msgs_per_sec,mb_per_sec,p50_us,p99_us,rss_mid_kb,load1" >"$RUNS"
TICK=$(getconf CLK_TCK)
half=$(awk -v d="${DURATION%s}" -v w="${WARMUP%ms}" 'BEGIN {print w/1000 + d/2}')

# measure TARGET SIZE DEPTH CONNS REPEAT
measure() {
	local t=$1 size=$2 depth=$3 conns=$4 rep=$5 pid=${PID[$1]}
	local json=$WORK/run.json c0 c1 b0 b1 t0 t1 rss
	[ "$t" = direct ] && pid=""
	c0=${pid:+$(cpu_ticks "$pid")}
	b0=$(echo_bytes)
	t0=$(secs)
	(sleep "$half"; [ -n "$pid" ] && rss_kb "$pid" >"$WORK/rss" || echo 0 >"$WORK/rss") &
	local sampler=$!
	if ! "$BIN/echo-bench" --addr "${ADDR[$t]}" --cpus $CLIENT_CPU --framing length --max-frame 2MiB \
		--size "$size" --depth "$depth" --conns "$conns" --duration "$DURATION" --warmup "$WARMUP" \
		--timeout 60s --json "$json" -q >"$WORK/bench.log" 2>&1; then
		echo "FAILED: $t size=$size depth=$depth conns=$conns" >&2
		cat "$WORK/bench.log" >&2
		wait "$sampler"
		return
	fi
	t1=$(secs)
	wait "$sampler"
	c1=${pid:+$(cpu_ticks "$pid")}
	b1=$(echo_bytes)
	rss=$(cat "$WORK/rss")
	python3 - "$json" <<PY >>"$RUNS"
import json, sys
d = json.load(open(sys.argv[1]))
l = d["latency"]
cpu = "" if "$pid" == "" else ($c1 - ${c0:-0}) / $TICK
print(f"$size,$depth,$conns,$rep,$t,{$t1 - $t0:.3f},{cpu},{$b1 - $b0},{d['msgs_per_sec']:.1f},{d['mb_per_sec']:.2f},{l['p50_us']:.1f},{l['p99_us']:.1f},$rss,$(load1)")
PY
}

read -r -a targets <<<"$TARGETS"
n=${#targets[@]}
if [ -z "${CELLS:-}" ]; then
	for size in $SIZES; do
		for depth in $DEPTHS; do
			for conns in $CONNS; do
				CELLS="${CELLS:-} $size:$depth:$conns"
			done
		done
	done
fi
k=0
for rep in $(seq "$REPEATS"); do
	for cell in $CELLS; do
		IFS=: read -r size depth conns <<<"$cell"
		for i in $(seq 0 $((n - 1))); do
			t=${targets[$(((i + k) % n))]}
			measure "$t" "$size" "$depth" "$conns" "$rep"
		done
		k=$((k + 1))
		echo "$(date -u +%T) rep $rep size $size depth $depth conns $conns done (load $(load1))" >&2
	done
done

# Idle phase: IDLE_CONNS connections at one 1 KiB message per connection
# every two seconds, RSS read halfway through against the RSS before.
IDLE=$OUT/idle.csv
echo "target,conns,rss_before_kb,rss_mid_kb,bytes_per_pair" >"$IDLE"
for t in "${targets[@]}"; do
	[ "$t" = direct ] && continue
	pid=${PID[$t]}
	before=$(rss_kb "$pid")
	(sleep 3; rss_kb "$pid" >"$WORK/rss") &
	sampler=$!
	"$BIN/echo-bench" --addr "${ADDR[$t]}" --cpus $CLIENT_CPU --framing length --max-frame 2MiB --size 1024 \
		--conns "$IDLE_CONNS" --rate $((IDLE_CONNS / 2)) --duration 4s --warmup 1s -q >"$WORK/bench.log" 2>&1 ||
		{ echo "idle phase failed for $t" >&2; cat "$WORK/bench.log" >&2; }
	wait "$sampler"
	mid=$(cat "$WORK/rss")
	echo "$t,$IDLE_CONNS,$before,$mid,$(((mid - before) * 1024 / IDLE_CONNS))" >>"$IDLE"
done

{
	echo "# $(date -u +%FT%TZ) $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
	echo "# haproxy: $(haproxy -v | head -1)"
	echo "# load at end: $(cat /proc/loadavg)"
	echo "# CELLS=$CELLS REPEATS=$REPEATS DURATION=$DURATION WARMUP=$WARMUP TARGETS=$TARGETS BASELINE=${BASELINE:-}"
	grep -h "listening on" "$WORK"/relay-*.log
} >"$OUT/environment.txt"
python3 "$(dirname "$0")/summarize.py" "$RUNS" "$IDLE" >"$OUT/results.md"
cat "$OUT/results.md"
