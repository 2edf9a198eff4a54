#!/usr/bin/env bash
# Measures `edgeguard run --once` end to end (wall time and peak RSS, budget 0.5 s and 15 MB)
# and each host collector's own time as the scheduler logs it, over N runs on the real host
# (host root "/") and on a fixture host root.
#   bash bench/hostinfo.sh [runs]      (default 10; uses build/edgeguard, builds nothing)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
binary=build/edgeguard
[[ -x $binary ]] || { echo "hostinfo.sh: $binary not built (bash scripts/build.sh)" >&2; exit 2; }
work=$(mktemp -d /tmp/edgeguard-bench-hostinfo-XXXXXX)
trap 'rm -rf "$work"' EXIT

measure() {  # label, extra arguments...
  local label=$1
  shift
  : >"$work/times"
  : >"$work/collectors"
  for ((i = 0; i < runs; i++)); do
    rm -rf "$work/state"
    /usr/bin/time -f "%e %M" -o "$work/time" "$binary" run --once --state-dir "$work/state" \
      --output "$work/out.jsonl" --log-level debug "$@" 2>"$work/log" >/dev/null
    cat "$work/time" >>"$work/times"
    grep -oE '\[scheduler\] (SystemInformation|LocalUsers|ListeningPorts): [0-9]+ event\(s\) in [0-9]+ us' "$work/log" |
      awk '{print $2, $(NF-1)}' >>"$work/collectors"
  done
  sort -n "$work/times" | awk -v label="$label" -v runs="$runs" '
    { wall[NR] = $1; if ($2 > rss) rss = $2 }
    END {
      median = (NR % 2) ? wall[(NR + 1) / 2] : (wall[NR / 2] + wall[NR / 2 + 1]) / 2
      printf "%-28s runs %d  wall min %.2f s  median %.2f s  max %.2f s  peak RSS %.1f MB  [%s, %s]\n",
        label, runs, wall[1], median, wall[NR], rss / 1024,
        (wall[NR] <= 0.5 ? "wall within 0.5 s" : "wall OVER 0.5 s"),
        (rss <= 15 * 1024 ? "RSS within 15 MB" : "RSS OVER 15 MB")
    }'
  sort -k1,1 -k2,2n "$work/collectors" | awk '
    { name = $1; sub(":", "", name); t[name, ++n[name]] = $2 }
    END {
      for (name in n) {
        count = n[name]
        median = (count % 2) ? t[name, (count + 1) / 2] : (t[name, count / 2] + t[name, count / 2 + 1]) / 2
        printf "    %-18s median %6.2f ms  max %6.2f ms\n", name, median / 1000, t[name, count] / 1000
      }
    }' | sort
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
measure "host root /"
measure "fixture ubuntu2204-x86" --host-root tests/fixtures/hostroot-ubuntu2204-x86
