#!/usr/bin/env bash
# Runs every Fuzz target in the module for the given time each (default 5s).
# go test accepts one -fuzz pattern per package, so targets run one by one.
set -euo pipefail
fuzztime=${1:-5s}
cd "$(dirname "$0")/.."
count=0
while IFS= read -r file; do
  pkg=./$(dirname "$file")
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    echo "fuzz $pkg $target ($fuzztime)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg"
    count=$((count + 1))
  done
done < <(grep -rlE '^func Fuzz' --include='*_test.go' . | sort)
echo "fuzz: $count targets ran for $fuzztime each"
