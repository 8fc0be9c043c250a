#!/usr/bin/env bash
# Installs what statekeeper needs to build, test and run, from Debian 12's
# packages. Idempotent: when everything is present it changes nothing.
# Run as root (or with sudo available). With --fuzz, also what the fuzz
# harnesses need; with --bench, the peers and tools scripts/bench.sh runs.
set -euo pipefail

packages=(
  g++ cmake make pkgconf ccache
  libcaf-dev libboost1.81-dev libboost-json1.81-dev
  libpqxx-dev libpq-dev libssl-dev catch2
  postgresql-15 postgresql-common
  curl openssl
)

for option in "$@"; do
  case $option in
  # The fuzz harnesses (scripts/fuzz.sh) need clang and its libFuzzer.
  --fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
  # scripts/bench.sh: Redis, wrk, Zeek Broker (its data store), gnuplot.
  --bench) packages+=(redis-server redis-tools wrk libbroker-dev gnuplot-nox) ;;
  *)
    echo "usage: $0 [--fuzz] [--bench]" >&2
    exit 2
    ;;
  esac
done

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null \
      | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
  --no-install-recommends "${missing[@]}"
