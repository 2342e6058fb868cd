#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) in build-fuzz/ and runs each for a bounded
# time on its seed corpus (fuzz/corpus/<target>) and kept regressions (fuzz/regressions/<target>).
# Any crash, sanitizer report, leak, timeout or out-of-memory fails the script; the input is left
# in build-fuzz/artifacts/<target>/ (docs/hardening.md says what to do with it).
# Usage: scripts/fuzz.sh [--time SECONDS | --runs N] [target ...]   (targets: config workload trace)
# XPUSIM_FUZZ_SEED=N fixes libFuzzer's random seed (the test stage sets 1, so CI explores the same
# inputs every time); unset, each run draws its own.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
limit=(-max_total_time=60)
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(config workload trace)

build="$here/build-fuzz"
"$here/scripts/setup.sh" --fuzz --build-dir "$build"

for t in "${targets[@]}"; do
  # New corpus entries go to build-fuzz/corpus/<target>; the checked-in seeds are only read.
  work="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  mkdir -p "$work" "$artifacts" "$here/fuzz/regressions/$t"
  seed=()
  [ -n "${XPUSIM_FUZZ_SEED:-}" ] && seed=(-seed="$XPUSIM_FUZZ_SEED")
  dict=()
  [ -f "$here/fuzz/$t.dict" ] && dict=(-dict="$here/fuzz/$t.dict")
  echo "fuzz: $t (${limit[*]})"
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$build/xpusim_${t}_fuzz" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" ${dict[@]+"${dict[@]}"} ${seed[@]+"${seed[@]}"} \
      "$work" "$here/fuzz/corpus/$t" "$here/fuzz/regressions/$t"
done
