#!/usr/bin/env bash
# Installs what xpusim needs from Debian's packages (only what is missing) and builds it.
# Usage: scripts/setup.sh [--build-dir DIR] [--sanitize] [--fuzz]
# --fuzz adds clang and builds only the libFuzzer targets (scripts/fuzz.sh runs them).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$here/build"
cmake_extra=()
build_targets=()
extra_packages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    # -O1 -g1 (line tables): a sanitizer build finds faults; it need not be fast, but quick to compile.
    --sanitize) cmake_extra+=(-DXPUSIM_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
                              "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"); shift ;;
    --fuzz) cmake_extra+=(-DXPUSIM_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo)
            extra_packages+=(clang-14 libclang-rt-14-dev)
            build_targets=(--target xpusim_config_fuzz xpusim_workload_fuzz xpusim_trace_fuzz); shift ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

packages=(build-essential cmake ninja-build pkg-config git
  libsystemc-dev libyaml-cpp-dev libeigen3-dev libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev
  python3 python3-pandas python3-numpy python3-matplotlib python3-yaml
  python3-nbformat python3-nbconvert jupyter-nbconvert python3-ipykernel
  ${extra_packages[@]+"${extra_packages[@]}"})
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$here" -B "$build_dir" -G Ninja ${cmake_extra[@]+"${cmake_extra[@]}"} >/dev/null
cmake --build "$build_dir" -j "$jobs" ${build_targets[@]+"${build_targets[@]}"}
