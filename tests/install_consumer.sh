#!/usr/bin/env bash
# Installs the built tree into a scratch prefix, builds examples/embed
# against it with find_package(statekeeper) as a user would, and runs it.
set -euo pipefail
build_dir=$1
source_dir=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build_dir" --prefix "$scratch/prefix" > "$scratch/install.log"
cmake -S "$source_dir/examples/embed" -B "$scratch/build" \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" > "$scratch/configure.log"
cmake --build "$scratch/build" -j2 > "$scratch/build.log"
"$scratch/build/embed_example"
