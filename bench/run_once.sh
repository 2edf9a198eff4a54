#!/usr/bin/env bash
# `edgeguard run --once` on this machine: wall time (hyperfine, warm) and peak RSS (GNU time).
# Budget: under 0.5 s wall, peak RSS under 15 MB. Also prints the stripped binary size.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./build/edgeguard
state=$(mktemp -d /tmp/edgeguard-bench-once.XXXXXX)
trap 'rm -rf "$state"' EXIT

echo "== edgeguard run --once (all periodic collectors, file sink)"
hyperfine --warmup 2 --runs 15 --export-json "$state/hyperfine.json" \
  "$bin run --once --state-dir $state --output $state/out.jsonl --log-level error" | sed -n '1,4p'
peak=0
for _ in 1 2 3 4 5; do
  kb=$(/usr/bin/time -f '%M' "$bin" run --once --state-dir "$state" --output "$state/out.jsonl" --log-level error 2>&1 >/dev/null | tail -1)
  (( kb > peak )) && peak=$kb
done
echo "peak RSS: $((peak / 1024)).$(( (peak % 1024) * 10 / 1024 )) MiB ($peak KiB, highest of 5 runs)"

strip -o "$state/edgeguard.stripped" "$bin"
echo "stripped binary: $(stat -c %s "$state/edgeguard.stripped") bytes (unstripped $(stat -c %s "$bin"))"
