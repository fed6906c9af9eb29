#!/usr/bin/env bash
# Copies the results table and the list of known limitations from
# hostile/RESULTS.md into README.md, between the hostile-results markers.
set -euo pipefail
cd "$(dirname "$0")/.."
results=hostile/RESULTS.md
[ -f "$results" ] || { echo "readme-results: $results not found; run make hostile" >&2; exit 1; }
block=$(mktemp)
trap 'rm -f "$block"' EXIT
# The table and the limitations come before the per-case measurements.
sed '/^Measurements recorded by the cases/,$d' "$results" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$block"
awk -v block="$block" '
  /<!-- hostile-results:start/ { print; while ((getline line < block) > 0) print line; skip = 1; next }
  /<!-- hostile-results:end -->/ { skip = 0 }
  !skip { print }
' README.md >README.md.new
mv README.md.new README.md
echo "README.md: hostile results updated from $results"
