#!/usr/bin/env bash
# Installs the built tree into a scratch prefix, checks that only the public
# headers are installed and that a consumer needs only <prefix>/include on
# its path, then builds examples/embed against the install with
# find_package(statekeeper) as a user would and runs it: once finding CAF
# through statekeeper's package, once in a project that defines CAF::core
# and CAF::io itself.
set -euo pipefail
build_dir=$1
source_dir=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
prefix=$scratch/prefix
cmake --install "$build_dir" --prefix "$prefix" > "$scratch/install.log"

fail() {
  echo "install_consumer: $*" >&2
  exit 1
}
headers=$(cd "$prefix/include" && find . -type f | sort)
for internal in messages/internal.hpp messages/persistence.hpp \
  messages/session.hpp actors/router_actor.hpp backends/postgres/postgres_backend.hpp \
  backends/durable_store.hpp; do
  if grep -qx "./statekeeper/$internal" <<<"$headers"; then
    fail "internal header $internal is installed"
  fi
done
grep -qx ./statekeeper/statekeeper.hpp <<<"$headers" ||
  fail "the umbrella header is not installed"
if grep -rn '#include "\(actors\|backends\|messages\)/' "$prefix/include"; then
  fail "installed headers include each other by a path relative to include/statekeeper"
fi
package=$(find "$prefix" -path '*/cmake/statekeeper/*.cmake')
[ -n "$package" ] || fail "no CMake package installed"
if grep -n 'include/statekeeper' $package; then
  fail "include/statekeeper is on the consumer's include path"
fi

build_and_run() {
  local name=$1
  shift
  cmake -S "$source_dir/examples/embed" -B "$scratch/$name" \
    -DCMAKE_PREFIX_PATH="$prefix" "$@" > "$scratch/$name.configure.log" ||
    { cat "$scratch/$name.configure.log"; fail "$name: configure failed"; }
  cmake --build "$scratch/$name" -j2 > "$scratch/$name.build.log" ||
    { cat "$scratch/$name.build.log"; fail "$name: build failed"; }
  "$scratch/$name/embed_example"
}
build_and_run plain
build_and_run own_caf_targets \
  -DCMAKE_PROJECT_INCLUDE="$source_dir/tests/support/own_caf_targets.cmake"
