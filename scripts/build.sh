#!/usr/bin/env bash
# Configures and builds statekeeper into build/ (or $BUILD_DIR).
# Extra arguments go to CMake's configure step, e.g. -DSTATEKEEPER_WERROR=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
# ccache: paths relative to the checkout, so that another clone (CI's)
# reuses what this one compiled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build "$build_dir" -j "${JOBS:-2}"
