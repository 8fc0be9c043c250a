#!/usr/bin/env bash
# The test suite under ThreadSanitizer, in build-tsan/. ThreadSanitizer sees
# the ordering an uninstrumented library establishes (CAF hands a message
# from one thread to another through its own atomics) only if that library
# is instrumented too, so this first builds CAF 0.17.6 itself, from the
# Debian source of the very version the other builds use (checked against
# its published SHA-256), with -fsanitize=thread, and builds statekeeper
# against it. Then it runs every test except those labelled `install`
# (which builds a consumer project against the installed package).
#   scripts/tsan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
build_dir=build-tsan
caf_dir=$PWD/$build_dir/caf
caf_version=0.17.6
caf_tarball=actor-framework_${caf_version}.orig.tar.gz
caf_sha256=e2bf5bd243f08bb7d8adde197cfe3e6d71314ed3378fe0692f8932f4c3b3928c
caf_url=http://deb.debian.org/debian/pool/main/a/actor-framework/$caf_tarball

if [ ! -f "$caf_dir/install/.complete" ]; then
  mkdir -p "$caf_dir"
  if ! echo "$caf_sha256  $caf_dir/$caf_tarball" | sha256sum -c --status \
      2>/dev/null; then
    curl -fsSL -o "$caf_dir/$caf_tarball" "$caf_url"
    echo "$caf_sha256  $caf_dir/$caf_tarball" | sha256sum -c --quiet
  fi
  # Debian's package adds the one include GCC 12 needs to the sources.
  caf_fix="-include limits"
  rm -rf "$caf_dir/src" "$caf_dir/build" "$caf_dir/install"
  mkdir -p "$caf_dir/src"
  tar -xzf "$caf_dir/$caf_tarball" -C "$caf_dir/src" --strip-components=1
  cmake -S "$caf_dir/src" -B "$caf_dir/build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer $caf_fix" \
    -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread \
    -DCMAKE_INSTALL_PREFIX="$caf_dir/install" \
    -DCAF_NO_EXAMPLES=yes -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_TOOLS=yes \
    -DCAF_NO_PYTHON=yes -DCAF_NO_OPENCL=yes -DCAF_NO_SUMMARY=yes \
    >"$caf_dir/configure.log"
  cmake --build "$caf_dir/build" -j "${JOBS:-2}"
  cmake --install "$caf_dir/build" >"$caf_dir/install.log"
  touch "$caf_dir/install/.complete"
fi

BUILD_DIR=$build_dir scripts/build.sh -DSTATEKEEPER_WERROR=ON \
  -DSTATEKEEPER_SANITIZE=thread -DCMAKE_PREFIX_PATH="$caf_dir/install"
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
cd "$build_dir"
../scripts/with-postgres.sh ctest --output-on-failure -j 2 --timeout 900 \
  -LE install
