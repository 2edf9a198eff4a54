#!/usr/bin/env bash
# README command 2: install the Debian packages (with the test tools), build the agent, the
# tests and the fuzz targets, and run the whole suite: unit, integration (real kernel, dockerd,
# mosquitto) and a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --with-test-tools
bash scripts/build.sh

jobs=$(nproc)
if [[ ! -f build-fuzz/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGEGUARD_FUZZ=ON
fi
cmake --build build-fuzz -j "$jobs"

status=0
ctest --test-dir build --output-on-failure -j "$jobs" || status=1
ctest --test-dir build-fuzz --output-on-failure -j "$jobs" || status=1
exit $status
