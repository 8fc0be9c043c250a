#!/usr/bin/env bash
# Configures and builds statekeeper into build/ (or $BUILD_DIR).
# Extra arguments go to CMake's configure step, e.g. -DSTATEKEEPER_WERROR=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build "$build_dir" -j "${JOBS:-2}"
