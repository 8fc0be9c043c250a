#!/usr/bin/env bash
# Runs COMMAND with a throwaway PostgreSQL 15 cluster on 127.0.0.1 and removes
# the cluster afterwards. COMMAND sees PGHOST, PGPORT, PGUSER and PGDATABASE,
# plus STATEKEEPER_TEST_PGDATA and STATEKEEPER_TEST_PGCTL for tests that stop
# and start the server. fsync stays on: tests check durability.
#   scripts/with-postgres.sh ctest --output-on-failure
set -euo pipefail
bindir=/usr/lib/postgresql/15/bin
[ -x "$bindir/initdb" ] || { echo "with-postgres: PostgreSQL 15 not installed" >&2; exit 2; }

dir=$(mktemp -d /tmp/statekeeper-pg.XXXXXX)
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
chmod 700 "$dir"

cleanup() {
  as_postgres "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

as_postgres "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -N \
  -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 2; }

# A free port: try a few random ones in the dynamic range.
for attempt in 1 2 3 4 5 6 7 8; do
  port=$((20000 + RANDOM % 30000))
  if as_postgres "$bindir/pg_ctl" -D "$dir/data" -w -t 30 -l "$dir/server.log" \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" \
      start >/dev/null 2>&1; then
    break
  fi
  [ "$attempt" -eq 8 ] && { cat "$dir/server.log" >&2; exit 2; }
done

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
export STATEKEEPER_TEST_PGDATA="$dir/data" STATEKEEPER_TEST_PGCTL="$bindir/pg_ctl"
"$@"
