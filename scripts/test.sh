#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, starts a
# throwaway PostgreSQL 15, and runs the whole test suite under ctest.
#   scripts/test.sh              the normal build, in build/
#   scripts/test.sh --sanitize   an address+undefined sanitizer build, in
#                                build-sanitize/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

build_dir=build
cmake_args=(-DSTATEKEEPER_WERROR=ON)
if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-sanitize
  cmake_args+=(-DSTATEKEEPER_SANITIZE=address,undefined)
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi

BUILD_DIR=$build_dir scripts/build.sh "${cmake_args[@]}"
cd "$build_dir"
../scripts/with-postgres.sh ctest --output-on-failure -j 2 --timeout 600
