#!/usr/bin/env bash
# Installs the Debian 12 packages edgeguard needs to build, run and test. Idempotent: it asks
# apt only for what is missing, and never starts the services it installs (dockerd, auditd and
# mosquitto are started by the tests themselves, on private sockets, and stopped by PID).
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config clang llvm libclang-rt-14-dev
  libbpf-dev bpftool libelf-dev zlib1g-dev
  libssl-dev libsqlite3-dev liblz4-dev libmosquitto-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  mosquitto-dev
)
RUNTIME_PACKAGES=(iproute2 nftables iptables)
TEST_PACKAGES=(
  python3 python3-jsonschema mosquitto docker.io auditd openssl procps psmisc
  util-linux sqlite3 curl busybox-static openssh-server openssh-client sshpass
)

BENCH_PACKAGES=(hyperfine time linux-perf)

want=("${BUILD_PACKAGES[@]}" "${RUNTIME_PACKAGES[@]}")
for flag in "$@"; do
  case "$flag" in
    --with-test-tools) want+=("${TEST_PACKAGES[@]}") ;;
    --with-bench-tools) want+=("${TEST_PACKAGES[@]}" "${BENCH_PACKAGES[@]}") ;;
    *) echo "install-deps: unknown option $flag" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi

echo "install-deps: installing ${missing[*]}" >&2
# Keep package scripts from starting daemons: the tests own every daemon they need.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 0755 "$policy"
  added_policy=1
fi
cleanup() { if ((added_policy)); then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
