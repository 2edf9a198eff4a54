#!/usr/bin/env bash
# README command 1: install the Debian packages, build, and run the agent standalone.
# Extra arguments go to `edgeguard run` (e.g. --once --output -).
set -euo pipefail
cd "$(dirname "$0")/.."
# Set-up output goes to stderr: with --output - stdout carries only the messages.
bash scripts/install-deps.sh >&2
bash scripts/build.sh >&2
exec ./build/edgeguard run "$@"
