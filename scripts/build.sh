#!/usr/bin/env bash
# Configures and builds edgeguard into build/ (binary: build/edgeguard). Used by run.sh, test.sh
# and bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j "$jobs" "$@"
