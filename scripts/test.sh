#!/usr/bin/env bash
# Sets up (installs missing packages, builds) and runs every test under ctest. Two further stages
# run when asked (.ci/run asks for both; docs/hardening.md):
#   XPUSIM_SANITIZE_STAGE=1  the same suite built with ASan+UBSan in build-asan/
#   XPUSIM_FUZZ_STAGE=1      each libFuzzer target for XPUSIM_FUZZ_SECONDS (default 30; scripts/fuzz.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh" "$@"
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$here/build" --output-on-failure -j "$jobs"

if [ "${XPUSIM_SANITIZE_STAGE:-0}" != 0 ]; then
  echo "== sanitizer stage: the suite built with ASan+UBSan (build-asan/)"
  "$here/scripts/setup.sh" --sanitize --build-dir "$here/build-asan"
  # detect_stack_use_after_return stays off: its fake stacks do not follow SystemC's coroutine
  # stack switches. LeakSanitizer ignores only what libsystemc allocates (scripts/lsan.supp).
  ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=0:abort_on_error=1 \
  LSAN_OPTIONS=suppressions="$here/scripts/lsan.supp":print_suppressions=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir "$here/build-asan" --output-on-failure -j "$jobs"
fi

if [ "${XPUSIM_FUZZ_STAGE:-0}" != 0 ]; then
  echo "== fuzz stage: each libFuzzer target for ${XPUSIM_FUZZ_SECONDS:-30} s"
  XPUSIM_FUZZ_SEED=${XPUSIM_FUZZ_SEED:-1} "$here/scripts/fuzz.sh" --time "${XPUSIM_FUZZ_SECONDS:-30}"
fi
