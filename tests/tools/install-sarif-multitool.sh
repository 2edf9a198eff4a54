#!/usr/bin/env bash
# Installs Microsoft's SARIF Multitool, pinned, into PREFIX (default: build/tools/sarif) with npm,
# once, and prints the path of its Sarif.Multitool executable. The SARIF validation test runs it;
# when it cannot install (no npm, no network) it exits 1 with the reason, and that test fails.
set -euo pipefail
VERSION=5.7.0
PACKAGE=@microsoft/sarif-multitool-linux
root=$(cd "$(dirname "$0")/../.." && pwd)
prefix=${1:-$root/build/tools/sarif}
tool=$prefix/node_modules/$PACKAGE/Sarif.Multitool
stamp=$prefix/.installed-$VERSION

mkdir -p "$prefix"
exec 9>"$prefix/.lock"
flock 9  # one installer at a time per prefix
if [[ -f $stamp && -x $tool ]]; then
  echo "$tool"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "install-sarif-multitool: npm is not installed (Node.js 20 and npm are needed)" >&2
  exit 1
fi
if ! npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "$PACKAGE@$VERSION" >&2; then
  echo "install-sarif-multitool: npm could not install $PACKAGE@$VERSION into $prefix" >&2
  exit 1
fi
# The package's postinstall only makes the tool executable; npm may not run install scripts.
chmod u+x "$tool"
if ! "$tool" --version >/dev/null; then
  echo "install-sarif-multitool: $tool does not run" >&2
  exit 1
fi
touch "$stamp"
echo "$tool"
