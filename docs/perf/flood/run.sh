#!/usr/bin/env bash
# Fairness under a flood, out of process: the hostile suite's
# starvation/process case against the echo-tcp of two builds, taken in
# turn for ROUNDS rounds, each round's output appended to results-NAME.txt.
#
#   docs/perf/flood/run.sh [ROUNDS] [NAME=COMMIT ...]
#
# Default: 3 rounds of "before" (e121994, the build before the fairness
# changes) and "after" (HEAD). The case pins the server to the last
# allowed CPU and the clients to the others (see hostile/case_flood_test.go).
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds=${1:-3}
shift || true
builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=(before=e121994 after=HEAD)
out=docs/perf/flood
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/wt" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for b in "${builds[@]}"; do
  name=${b%%=*} commit=${b#*=}
  git worktree add -q --detach "$tmp/wt" "$commit"
  (cd "$tmp/wt" && go build -o "$tmp/$name/" ./cmd/echo-tcp ./cmd/echo-udp)
  git worktree remove --force "$tmp/wt"
  : > "$out/results-$name.txt"
done
for r in $(seq "$rounds"); do
  for b in "${builds[@]}"; do
    name=${b%%=*}
    { echo "## round $r, $(uptime)"
      RAWNET_HOSTILE_BIN="$tmp/$name" go test ./hostile -run 'TestHostile/starvation/process' \
        -count=1 -v 2>&1 | grep -E 'factor|limitation|^\s*--- (PASS|FAIL|SKIP)|skip|busy' || true
    } >> "$out/results-$name.txt"
  done
done
