#!/usr/bin/env bash
# Installs what statekeeper needs to build, test and run, from Debian 12's
# packages. Idempotent: when everything is present it changes nothing.
# Run as root (or with sudo available). With --fuzz, also what the fuzz
# harnesses need.
set -euo pipefail

packages=(
  g++ cmake make pkgconf ccache
  libcaf-dev libboost1.81-dev libboost-json1.81-dev
  libpqxx-dev libpq-dev libssl-dev catch2
  postgresql-15 postgresql-common
  curl openssl
)

# The fuzz harnesses (scripts/fuzz.sh) need clang and its libFuzzer.
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

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
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
  --no-install-recommends "${missing[@]}"
