#!/usr/bin/env bash
# Runs every Fuzz target in the module for the given time each (default 5s).
# go test accepts one -fuzz pattern per package, so targets run one by one.
#
# Go before 1.27 can fail a duration-bounded run that found nothing: when
# -fuzztime expires, its coordinator may report the deadline itself as
# "context deadline exceeded" (go.dev/issue/75804, fixed in Go 1.27). A run
# that ends that way and wrote no failing input is repeated once with the
# same number of executions as a count (-fuzztime Nx), which has no deadline
# to race, so the target is still fuzzed as long and a real failure still
# fails.
set -euo pipefail
fuzztime=${1:-5s}
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# deadline_race reports whether the run in $log failed only on the
# coordinator's own deadline and wrote no failing input.
deadline_race() {
  grep -q '^    context deadline exceeded$' "$log" &&
    ! grep -qE 'Failing input written|^panic:|_test\.go:[0-9]+:' "$log"
}

count=0
while IFS= read -r file; do
  pkg=./$(dirname "$file")
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    echo "fuzz $pkg $target ($fuzztime)"
    if ! go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" 2>&1 | tee "$log"; then
      execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
      if ! deadline_race || [ -z "$execs" ] || [ "$execs" -eq 0 ]; then
        exit 1
      fi
      echo "fuzz $pkg $target: the run ended on the fuzzing coordinator's own deadline (go.dev/issue/75804); again as ${execs} executions"
      go test -run='^$' -fuzz="^${target}\$" -fuzztime="${execs}x" "$pkg"
    fi
    count=$((count + 1))
  done
done < <(grep -rlE '^func Fuzz' --include='*_test.go' . | sort)
echo "fuzz: $count targets ran for $fuzztime each"
