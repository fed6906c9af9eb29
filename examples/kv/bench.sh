#!/usr/bin/env bash
# Compares the kv example with Debian's redis-server, side by side in one
# run: each server pinned to one CPU, redis-benchmark pinned to another,
# `redis-benchmark -t set,get -c CLIENTS -n N -P DEPTH` at depth 1 and 16,
# the two servers interleaved, RUNS times over. For every run it prints
# redis-benchmark's CSV as it came, then requests/s and p99 of SET and
# GET, and the server's CPU time (utime+stime from /proc/PID/stat, all its
# threads) over the run divided by the run's requests; a table of medians
# closes the output. Save it with
#
#   examples/kv/bench.sh | tee examples/kv/bench-results.txt
#
# Environment: RUNS (3), N1 (requests per test at depth 1, 500000), N16
# (at depth 16, 5000000), CLIENTS (50), SERVER_CPU (1), CLIENT_CPU (0).
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-3}
N1=${N1:-500000}
N16=${N16:-5000000}
CLIENTS=${CLIENTS:-50}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}

for tool in go redis-server redis-benchmark redis-cli taskset; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench.sh: $tool not found (apt-get install redis-server redis-tools util-linux)" >&2
    exit 1
  fi
done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# free_port prints the first port from $1 on that nothing listens on.
free_port() {
  local p
  for p in $(seq "$1" $(($1 + 200))); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "bench.sh: no free port from $1" >&2
  return 1
}

# wait_ready waits, for at most 10 s, until the server on port $1 answers
# PING.
wait_ready() {
  local i
  for i in $(seq 100); do
    if [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; then return 0; fi
    sleep 0.1
  done
  echo "bench.sh: the server on port $1 never answered PING" >&2
  return 1
}

# cpu_ticks prints utime+stime of process $1 in clock ticks. The fields
# are counted after the ')' that closes the command name, which may hold
# spaces (proc(5): fields 14 and 15 of /proc/PID/stat).
cpu_ticks() {
  sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

hz=$(getconf CLK_TCK)
go build -o "$tmp/kv" ./examples/kv

kv_port=$(free_port 16380)
taskset -c "$SERVER_CPU" "$tmp/kv" --addr "127.0.0.1:$kv_port" --loops 1 >"$tmp/kv.log" 2>&1 &
kv_pid=$!
pids+=("$kv_pid")
wait_ready "$kv_port"

redis_port=$(free_port $((kv_port + 1)))
taskset -c "$SERVER_CPU" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --daemonize no --logfile "$tmp/redis.log" &
redis_pid=$!
pids+=("$redis_pid")
wait_ready "$redis_port"

echo "# kv example vs redis-server, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# host: $(uname -srm), $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $(go version)"
echo "# $(redis-server --version)"
echo "# $(redis-benchmark --version 2>/dev/null || echo 'redis-benchmark (version not printed)')"
echo "# servers on CPU $SERVER_CPU (kv --loops 1; redis-server --save '' --appendonly no), redis-benchmark on CPU $CLIENT_CPU"
echo "# redis-benchmark -t set,get -c $CLIENTS -P 1 -n $N1 and -P 16 -n $N16; $RUNS runs, servers interleaved"
echo "# cpu/req: server utime+stime over the whole redis-benchmark run (both tests) / (2 x n), clock tick 1/$hz s"
echo

rows=$tmp/rows
: >"$rows"
for run in $(seq "$RUNS"); do
  for depth in 1 16; do
    n=$N1
    [ "$depth" = 16 ] && n=$N16
    for server in kv redis; do
      if [ "$server" = kv ]; then pid=$kv_pid port=$kv_port; else pid=$redis_pid port=$redis_port; fi
      before=$(cpu_ticks "$pid")
      start=$(date +%s.%N)
      csv=$(taskset -c "$CLIENT_CPU" redis-benchmark -h 127.0.0.1 -p "$port" -t set,get \
        -c "$CLIENTS" -n "$n" -P "$depth" --csv)
      end=$(date +%s.%N)
      after=$(cpu_ticks "$pid")
      echo "## run $run, $server, -P $depth -n $n: server CPU $((after - before)) ticks, wall $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s"
      echo "$csv"
      # CSV columns: test, rps, avg, min, p50, p95, p99, max (ms).
      echo "$csv" | awk -F, -v server="$server" -v depth="$depth" -v run="$run" \
        -v ticks=$((after - before)) -v hz="$hz" -v n="$n" '
        { gsub(/"/, "") }
        $1 == "SET" { setrps = $2; setp99 = $7 }
        $1 == "GET" { getrps = $2; getp99 = $7 }
        END { printf "%s %s %s %.0f %s %.0f %s %.3f\n", server, depth, run, setrps, setp99, getrps, getp99, ticks / hz * 1e6 / (2 * n) }' >>"$rows"
    done
  done
done
echo
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

printf '%-6s %5s %4s %12s %11s %12s %11s %16s\n' server depth run 'SET req/s' 'SET p99 ms' 'GET req/s' 'GET p99 ms' 'server µs CPU/req'
sort -k2,2n -k1,1 -k3,3n "$rows" | while read -r server depth run sr sp gr gp cpu; do
  printf '%-6s %5s %4s %12s %11s %12s %11s %16s\n' "$server" "-P $depth" "$run" "$sr" "$sp" "$gr" "$gp" "$cpu"
done
echo
echo "medians over $RUNS runs:"
printf '%-6s %5s %12s %11s %12s %11s %16s\n' server depth 'SET req/s' 'SET p99 ms' 'GET req/s' 'GET p99 ms' 'server µs CPU/req'
for depth in 1 16; do
  for server in kv redis; do
    awk -v s="$server" -v d="$depth" '$1 == s && $2 == d' "$rows" >"$tmp/sel"
    med() { sort -g -k"$1","$1" "$tmp/sel" | awk -v c="$1" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'; }
    printf '%-6s %5s %12s %11s %12s %11s %16s\n' "$server" "-P $depth" "$(med 4)" "$(med 5)" "$(med 6)" "$(med 7)" "$(med 8)"
  done
done
