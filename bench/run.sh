#!/usr/bin/env bash
# Runs every bench/*_bench.sh in turn with the build folder (default build/), each one
# printing its table and saving its plot under bench/results/; exits non-zero if any failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
status=0
for bench in "$here"/*_bench.sh; do
  [ -e "$bench" ] || continue
  echo "=== $(basename "$bench")"
  bash "$bench" "$build" || { echo "bench: $(basename "$bench") failed" >&2; status=1; }
done
exit "$status"
