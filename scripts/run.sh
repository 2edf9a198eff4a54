#!/usr/bin/env bash
# README command 1: install the Debian packages, build, and run the agent standalone.
# Extra arguments go to `edgeguard run` (e.g. --once --output -).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
exec ./build/edgeguard run "$@"
