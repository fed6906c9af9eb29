#!/usr/bin/env bash
# A multi-host load test simulated on one machine: echo-tcp in a network
# namespace of its own and CLIENTS load generators, each in a namespace of
# its own standing for a host, joined by veth pairs to a bridge in the
# server's namespace on a /24 of 198.18.0.0/15 (RFC 2544's benchmarking
# range, routed nowhere). Every generator runs echo-bench run with the same
# --start-at and its own --hdr-log, and echo-bench merge combines the logs
# into one result; the script fails unless the merged message count is the
# sum of the generators'. Every namespace goes on every way out.
#
# Needs root (ip netns), iproute2 and bin/echo-tcp and bin/echo-bench
# (make build). Usage:
#
#   scripts/multihost.sh [OUT]     # OUT defaults to out/multihost-<timestamp>
#
# Environment: BIN (bin), CLIENTS (2), CONNS per generator (8), DEPTH (1),
# RATE per generator (0: closed loop), DURATION (3s), WARMUP (500ms),
# ENGINE (epoll), LEAD seconds between now and the shared start (2).
set -euo pipefail

BIN=${BIN:-bin}
CLIENTS=${CLIENTS:-2}
CONNS=${CONNS:-8}
DEPTH=${DEPTH:-1}
RATE=${RATE:-0}
DURATION=${DURATION:-3s}
WARMUP=${WARMUP:-500ms}
ENGINE=${ENGINE:-epoll}
LEAD=${LEAD:-2}
OUT=${1:-out/multihost-$(date +%Y%m%d-%H%M%S)}

say() { echo "multihost: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root: it creates network namespaces (ip netns)"
command -v ip >/dev/null || die "needs ip (iproute2)"
for b in echo-tcp echo-bench; do
  [ -x "$BIN/$b" ] || die "no $BIN/$b: run make build, or set BIN"
done
[ "$CLIENTS" -ge 1 ] && [ "$CLIENTS" -le 100 ] || die "CLIENTS=$CLIENTS: want 1 to 100"
mkdir -p "$OUT"

# Namespaces are named rawnet-mh-PID-...; those of a run whose process is
# gone (killed before its trap ran) are removed first.
prefix=rawnet-mh-$$-
for ns in $(ip netns list | awk '{print $1}' | grep '^rawnet-mh-' || true); do
  pid=${ns#rawnet-mh-}
  pid=${pid%%-*}
  kill -0 "$pid" 2>/dev/null || ip netns del "$ns" 2>/dev/null || true
done

server_pid=
pids=()
cleanup() {
  status=$?
  # Generators first: the server drains open connections before it exits.
  for pid in "${pids[@]}" $server_pid; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix" || true); do
    ip netns del "$ns" || status=1
  done
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 198.19.N.0/24, N from the process id, so that concurrent runs (and the
# hostile suite's 198.18.N.x pairs) do not collide.
net=198.19.$(($$ % 256))
server=$net.1
srv=${prefix}server
ip netns add "$srv"
ip -n "$srv" link set lo up
ip -n "$srv" link add br0 type bridge
ip -n "$srv" addr add "$server/24" dev br0
ip -n "$srv" link set br0 up
for i in $(seq 1 "$CLIENTS"); do
  cli=${prefix}gen$i
  ip netns add "$cli"
  ip -n "$cli" link set lo up
  # One veth pair per generator: eth0 in its namespace, genN on the
  # server's bridge.
  ip link add eth0 netns "$cli" type veth peer name "gen$i" netns "$srv"
  ip -n "$srv" link set "gen$i" master br0 up
  ip -n "$cli" addr add "$net.$((10 + i))/24" dev eth0
  ip -n "$cli" link set eth0 up
done
say "server $server in $srv; generators $net.11 to $net.$((10 + CLIENTS)) in ${prefix}gen1 to gen$CLIENTS"

ip netns exec "$srv" "$BIN/echo-tcp" --engine "$ENGINE" --addr "$server:9000" >"$OUT/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q '^listening on' "$OUT/server.log" && break
  kill -0 "$server_pid" 2>/dev/null || die "echo-tcp exited: $(cat "$OUT/server.log")"
  sleep 0.1
done
grep -q '^listening on' "$OUT/server.log" || die "echo-tcp did not listen within 10s"

start=$(($(date +%s) + LEAD))
say "every generator starts at $(date -u -d "@$start" +%Y-%m-%dT%H:%M:%SZ) ($start), warms up $WARMUP, measures $DURATION"
for i in $(seq 1 "$CLIENTS"); do
  cmd=("$BIN/echo-bench" run --addr "$server:9000" --conns "$CONNS" --depth "$DEPTH" --rate "$RATE"
    --duration "$DURATION" --warmup "$WARMUP" --start-at "$start"
    --hdr-log "$OUT/gen$i.hlog" --hdr-tag "gen$i" --json "$OUT/gen$i.json" --quiet)
  echo "ip netns exec ${prefix}gen$i ${cmd[*]}" >"$OUT/gen$i.cmd"
  ip netns exec "${prefix}gen$i" "${cmd[@]}" >"$OUT/gen$i.txt" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    say "generator $((i + 1)) failed:"
    cat "$OUT/gen$((i + 1)).txt" >&2
    failed=1
  fi
done
pids=()
[ "$failed" = 0 ] || exit 1

logs=()
for i in $(seq 1 "$CLIENTS"); do logs+=("$OUT/gen$i.hlog"); done
echo "$BIN/echo-bench merge --json $OUT/merged.json ${logs[*]}" >"$OUT/merge.cmd"
"$BIN/echo-bench" merge --json "$OUT/merged.json" "${logs[@]}" | tee "$OUT/merged.txt"

# The merged message count must be the sum of the generators'.
messages() { grep -m1 -o '"messages": [0-9]*' "$1" | grep -o '[0-9]*$'; }
sum=0
for i in $(seq 1 "$CLIENTS"); do sum=$((sum + $(messages "$OUT/gen$i.json"))); done
merged=$(messages "$OUT/merged.json")
[ "$merged" = "$sum" ] || die "merged $merged messages, the generators $sum"
say "merged $merged messages = the sum of the $CLIENTS generators'; results in $OUT"
