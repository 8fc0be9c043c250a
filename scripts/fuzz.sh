#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, with clang-14) into build-fuzz/ and
# runs each on a copy of its seed corpus (fuzz/corpus/NAME) for
# FUZZ_SECONDS seconds (default 20), or for FUZZ_RUNS executions if that is
# set, two at a time. Fails if any harness finds a crash, a leak or a broken
# property; the input is kept in build-fuzz/findings/. Prints the executions
# each harness ran and how long it took.
#   scripts/fuzz.sh                            every harness
#   scripts/fuzz.sh request rows               only these
#   FUZZ_RUNS=10000000 scripts/fuzz.sh text    a long campaign
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --fuzz

export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
cmake -S fuzz -B build-fuzz -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build-fuzz -j "${JOBS:-2}"

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  harnesses=(namespace text cli_args config request rows http)
fi
seconds=${FUZZ_SECONDS:-20}
if [ -n "${FUZZ_RUNS:-}" ]; then
  limit=(-runs="$FUZZ_RUNS")
else
  limit=(-max_total_time="$seconds")
fi
work=build-fuzz/work
findings=build-fuzz/findings
mkdir -p "$work" "$findings"

run() {
  local name=$1
  rm -rf "${work:?}/$name"
  mkdir -p "$work/$name"
  cp fuzz/corpus/"$name"/* "$work/$name"/ 2>/dev/null || true
  local start=$SECONDS status=0
  build-fuzz/fuzz_"$name" "${limit[@]}" -max_len=4096 \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$findings/$name-" "$work/$name" \
    >"$work/$name.log" 2>&1 || status=$?
  echo $((SECONDS - start)) >"$work/$name.seconds"
  return $status
}

status=0
pids=()
names=()
for name in "${harnesses[@]}"; do
  run "$name" &
  pids+=($!)
  names+=("$name")
  if [ ${#pids[@]} -eq 2 ]; then
    for i in 0 1; do
      wait "${pids[$i]}" || { echo "fuzz: ${names[$i]} failed"; status=1; }
    done
    pids=()
    names=()
  fi
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { echo "fuzz: ${names[$i]} failed"; status=1; }
done

for name in "${harnesses[@]}"; do
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$name.log" \
    | grep -o '[0-9]*$' || echo "?")
  echo "fuzz: $name: $execs executions in $(cat "$work/$name.seconds")s"
  if [ $status -ne 0 ]; then
    grep -m 20 -E 'ERROR|property does not hold|SUMMARY' "$work/$name.log" \
      || true
  fi
done
exit $status
