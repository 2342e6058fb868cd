#!/usr/bin/env bash
# Sets up (installs missing packages, builds) and runs every test under ctest.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh" "$@"
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$here/build" --output-on-failure -j "$jobs"
