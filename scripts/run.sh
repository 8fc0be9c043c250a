#!/usr/bin/env bash
# Installs what is missing, builds, and runs the statekeeper service on its
# default in-memory backend. Arguments go to the service, e.g.
#   scripts/run.sh --statekeeper.sweep-interval=5s
# Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh > build.log 2>&1 || { tail -n 50 build.log; exit 1; }
exec build/statekeeper "$@"
