#!/usr/bin/env bash
# README command for the benchmarks: install packages (with test and bench tools), build, and run
# every benchmark under bench/ (Google Benchmark programs and bench/*.sh scripts), printing their
# figures. `bash scripts/bench.sh NAME` runs the benchmarks whose name contains NAME.
# Root is needed for the kernel benchmarks. Budgets are in each benchmark's header comment.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --with-bench-tools
bash scripts/build.sh
filter=${1:-}
for program in build/bench/*; do
  [[ -x "$program" && -f "$program" ]] || continue
  name=$(basename "$program")
  [[ -z "$filter" || "$name" == *"$filter"* ]] || continue
  echo "=== $name"
  "$program"
done
for script in bench/*.sh; do
  name=$(basename "$script" .sh)
  [[ -z "$filter" || "$name" == *"$filter"* ]] || continue
  echo "=== $name"
  bash "$script"
done
