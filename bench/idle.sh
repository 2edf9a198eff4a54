#!/usr/bin/env bash
# An idle agent (default configuration, standalone): RSS and CPU after DURATION seconds
# (default 600, the budget's 10 minutes). Budget: RSS under 10 MB, CPU under 0.5 % of one core.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-600}
state=$(mktemp -d /tmp/edgeguard-bench-idle.XXXXXX)
./build/edgeguard run --state-dir "$state" --log-level warn 2>"$state/stderr.log" &
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$state"; }
trap cleanup EXIT

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
sleep 5  # past the first snapshot round
start_cpu=$(cpu_ticks)
start=$(date +%s.%N)
sleep "$duration"
end=$(date +%s.%N)
end_cpu=$(cpu_ticks)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
threads=$(awk '/^Threads/ {print $2}' "/proc/$pid/status")
awk -v c0="$start_cpu" -v c1="$end_cpu" -v t0="$start" -v t1="$end" -v hz="$ticks" -v rss="$rss" -v hwm="$hwm" -v th="$threads" 'BEGIN {
  cpu = (c1 - c0) / hz; wall = t1 - t0;
  printf "idle for %.0f s: CPU %.3f s = %.4f %% of one core; RSS %.1f MiB (peak %.1f MiB), %d threads\n", wall, cpu, 100 * cpu / wall, rss / 1024, hwm / 1024, th }'
