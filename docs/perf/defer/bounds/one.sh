#!/bin/bash
# one.sh LABEL CONNS WORK GOMAXPROCS SERVERFLAGS...: one echo-tcp on CPU 1
# and echo-bench on CPU 0 (SIZE, DEPTH, DUR seconds from the environment);
# prints msgs/s and, from perf stat over 2 s of the run, the server's CPU,
# context switches and system calls per message. Needs perf and root.
set -euo pipefail
BIN=${BIN:-bin}
label=$1 conns=$2 work=$3 gmp=$4; shift 4
tmp=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
GOMAXPROCS=$gmp taskset -c 1 "$BIN/echo-tcp" --addr "127.0.0.1:$port" --work "$work" "$@" >"$tmp/srv" 2>&1 &
spid=$!
for _ in $(seq 100); do grep -q '^listening' "$tmp/srv" && break; sleep 0.1; done
"$BIN/echo-bench" --addr "127.0.0.1:$port" --conns "$conns" --depth ${DEPTH:-1} --size ${SIZE:-64} \
	--duration ${DUR:-4}s --warmup 1s --cpus 0 --json "$tmp/out.json" >/dev/null 2>&1 &
cpid=$!
sleep 2
perf stat -x, -e task-clock,context-switches,raw_syscalls:sys_enter -p "$spid" -- sleep 2 2>"$tmp/stat"
thr=$(ls /proc/$spid/task | wc -l)
wait "$cpid" || true
kill -TERM "$spid"; wait "$spid" || true
python3 - "$tmp" "$label" "$work" "$conns" "$thr" <<'PY'
import csv, json, sys
tmp, label, work, conns, thr = sys.argv[1:6]
j = json.load(open(f"{tmp}/out.json"))
mps = j["msgs_per_sec"]
v = {r[2]: float(r[0]) for r in csv.reader(open(f"{tmp}/stat")) if len(r) > 3 and r[0][:1].isdigit()}
n = mps * 2
print(f"{label:28} {work:9} c{conns:>5} {mps:9.0f} msg/s cpu {v['task-clock'] * 1e3 / n:6.2f} us/msg ctxsw {v['context-switches'] / n:5.2f} sysc {v['raw_syscalls:sys_enter'] / n:5.2f} thr {thr} lat {j['latency']}")
PY
rm -rf "$tmp"
