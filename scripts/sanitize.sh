#!/usr/bin/env bash
# The whole CTest suite (unit and integration, agent processes included) built with gcc's
# AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer, in build-asan/. Not part of
# CI: the instrumented build alone takes ~25 min on 2 cores. Run it after changing memory- or
# lifetime-heavy code (store, pipeline, transports, parsers).
# Every report, from the test programs or from an agent they start, is written under
# build-asan/sanitizer-reports/; the script fails if there is one, or if a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --with-test-tools

flags="-fsanitize=address,undefined -fno-omit-frame-pointer -O1"
if [[ ! -f build-asan/build.ninja ]]; then
  # -Wno-maybe-uninitialized: with the sanitizers' instrumentation GCC 12 reports false
  # uninitialized std::function members inside <regex>.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEDGEGUARD_BENCH=OFF \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags -Wno-maybe-uninitialized" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"
fi
cmake --build build-asan -j "$(nproc)"

reports="$PWD/build-asan/sanitizer-reports"
rm -rf "$reports" && mkdir -p "$reports"
# verify_asan_link_order=0: the edgeHub stand-in's broker plugin is instrumented but is loaded
# into Debian's uninstrumented mosquitto.
export ASAN_OPTIONS="detect_leaks=1:verify_asan_link_order=0:log_path=$reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"

status=0
ctest --test-dir build-asan --output-on-failure -j "$(nproc)" || status=1
if compgen -G "$reports/*" > /dev/null; then
  echo "sanitizer reports:" >&2
  for report in "$reports"/*; do echo "== $report" >&2; head -40 "$report" >&2; done
  status=1
fi
exit $status
