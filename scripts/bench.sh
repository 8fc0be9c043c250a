#!/usr/bin/env bash
# Measures the hot path against its floors and peers: every row is a ratio
# of two figures measured in the same round, and each round runs every
# bench once (in-process, remote in separate processes, watch, Redis,
# PostgreSQL with fsync on, and the ways rows reach PostgreSQL). Prints each row's median and range over the
# rounds, and keeps every bench's own output in the results directory.
# Installs redis-server, redis-tools and wrk from Debian if they are missing;
# starts its own Redis servers and a throwaway PostgreSQL cluster.
# Usage: scripts/bench.sh [--rounds=N] [--quick] [--out=DIR]
#   --quick: small runs (seconds, not minutes): checks that it works; the
#            figures are then only indicative.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3
quick=0
out=
for arg in "$@"; do
  case $arg in
  --rounds=*) rounds=${arg#--rounds=} ;;
  --quick) quick=1 ;;
  --out=*) out=${arg#--out=} ;;
  *)
    echo "usage: $0 [--rounds=N] [--quick] [--out=DIR]" >&2
    exit 2
    ;;
  esac
done
if ((quick)); then
  inproc_ops=20000 remote_ops=2000 watch_writes=2000
  pg_writes=2000 pg_transactions=50 redis_ops=20000 redis_fsync_ops=2000
  http_seconds=1
else
  inproc_ops=200000 remote_ops=20000 watch_writes=20000
  pg_writes=32000 pg_transactions=2000 redis_ops=200000 redis_fsync_ops=20000
  http_seconds=10
fi

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null ||
  ! command -v wrk >/dev/null; then
  echo "installing redis-server, redis-tools and wrk" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server redis-tools wrk >/dev/null
fi
echo "building" >&2
scripts/build.sh >/dev/null

out=${out:-$(mktemp -d /tmp/statekeeper-bench.XXXXXX)}
mkdir -p "$out"
figures=$out/figures.txt
: >"$figures"

# Appends the `figure NAME VALUE` lines of a bench's output to the
# figures, tagged with the round; keeps the whole output.
record() {
  local round=$1 log=$2
  grep '^figure ' "$log" | awk -v r="$round" '{ print r, $2, $3 }' >>"$figures"
}

free_port() {
  echo $((20000 + RANDOM % 30000))
}

# Runs redis-benchmark against a fresh redis-server started with the
# given options; prints "SET_RPS GET_RPS" (GET is 0 if not run).
redis_rps() {
  local tests=$1 clients=$2 ops=$3
  shift 3
  local port dir pid
  port=$(free_port)
  dir=$(mktemp -d)
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' "$@" \
    >"$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -p "$port" ping >/dev/null 2>&1 ||
    { echo "redis-server did not start: $(cat "$dir/server.log")" >&2; exit 1; }
  redis-benchmark -p "$port" -t "$tests" -c "$clients" -P 1 -d 64 \
    -r 10000 -n "$ops" --csv 2>/dev/null |
    awk -F'","' '{ gsub(/"/, "", $1); gsub(/"/, "", $2) }
                 $1 == "SET" { set = $2 } $1 == "GET" { get = $2 }
                 END { print set + 0, get + 0 }'
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

for round in $(seq "$rounds"); do
  echo "round $round/$rounds: in-process" >&2
  build/statekeeper_bench --ops=$inproc_ops >"$out/inprocess.$round.txt"
  record "$round" "$out/inprocess.$round.txt"

  echo "round $round/$rounds: remote (separate processes)" >&2
  build/statekeeper_remote_bench --ops=$remote_ops >"$out/remote.$round.txt"
  record "$round" "$out/remote.$round.txt"

  echo "round $round/$rounds: watch" >&2
  build/statekeeper_watch_bench --writes=$watch_writes >"$out/watch.$round.txt"
  record "$round" "$out/watch.$round.txt"

  echo "round $round/$rounds: HTTP under wrk" >&2
  build/statekeeper_http_bench --seconds=$http_seconds >"$out/http.$round.txt"
  record "$round" "$out/http.$round.txt"

  echo "round $round/$rounds: redis-benchmark" >&2
  # 50 clients, no pipelining; the harmonic mean of SET and GET is the rate
  # of a 50/50 mix.
  read -r set get < <(redis_rps set,get 50 $redis_ops --appendonly no)
  echo "$round redis_50 $(awk -v s="$set" -v g="$get" 'BEGIN { print (s > 0 && g > 0) ? 2 / (1 / s + 1 / g) : 0 }')" >>"$figures"
  # Durable writes: every write fsynced before its reply.
  read -r set _ < <(redis_rps set 256 $redis_fsync_ops --appendonly yes --appendfsync always)
  echo "$round redis_always_256 $set" >>"$figures"

  echo "round $round/$rounds: PostgreSQL, fsync on" >&2
  scripts/with-postgres.sh sh -c "build/statekeeper_pg_bench --rounds=1 \
    --writes=$pg_writes && build/statekeeper_pg_rows_bench \
    --transactions=$pg_transactions" >"$out/postgres.$round.txt" 2>&1
  record "$round" "$out/postgres.$round.txt"
done

# Each row: what it measures, then NUMERATOR/DENOMINATOR figure names.
rows=(
  "in-process, 1 namespace, 64 in flight, vs bare actor|inprocess_direct_1ns_64|inprocess_actor_64"
  "  (through the router)|inprocess_router_1ns_64|inprocess_actor_64"
  "in-process, 1,000 namespaces, 256 in flight, vs bare actor|inprocess_direct_1000ns_256|inprocess_actor_256"
  "  (through the router)|inprocess_router_1000ns_256|inprocess_actor_256"
  "remote, 64 in flight, vs raw CAF remoting|remote_tcp_64|remote_raw_64"
  "  raw CAF remoting behind statekeeper's hops, vs raw|remote_hops_64|remote_raw_64"
  "remote, 1 in flight, vs raw CAF remoting|remote_tcp_1|remote_raw_1"
  "  raw CAF remoting behind statekeeper's hops, vs raw|remote_hops_1|remote_raw_1"
  "remote, 64 in flight, vs redis-benchmark -c 50 -P 1|remote_tcp_64|redis_50"
  "sync, 1 namespace, 64 writers, vs libpqxx 64 threads|sync_1ns_64|sync_libpqxx_64"
  "sync, 64 namespaces, 256 in flight, vs libpqxx|sync_64ns_256|sync_libpqxx_64"
  "sync, 64 namespaces, 256 in flight, vs Redis always|sync_64ns_256|redis_always_256"
  "watch, 100 watchers, vs no watcher|watch_100|watch_0"
  "HTTP GET, 50 connections, vs minimal Beast server|http_GET|http_floor_GET"
  "HTTP PUT, 50 connections, vs minimal Beast server|http_PUT|http_floor_PUT"
  "rows to PostgreSQL, 64 B values: hex text vs binary arrays|rows_text_64|rows_binary_64"
  "  COPY + INSERT SELECT vs binary arrays|rows_copy_64|rows_binary_64"
  "rows to PostgreSQL, 4 KiB values: hex text vs binary arrays|rows_text_4096|rows_binary_4096"
  "  COPY + INSERT SELECT vs binary arrays|rows_copy_4096|rows_binary_4096"
)
{
  echo "statekeeper hot path: $rounds round(s), ratios within each round; median (range)"
  printf '%-60s %18s %14s %14s\n' "scenario" "ratio" "statekeeper/s" "floor/s"
  for row in "${rows[@]}"; do
    IFS='|' read -r what num den <<<"$row"
    awk -v num="$num" -v den="$den" -v what="$what" '
      $2 == num { n[$1] = $3 } $2 == den { d[$1] = $3 }
      function median(a, k,   i, j, t, m) {
        for (i = 1; i <= k; ++i) for (j = i + 1; j <= k; ++j)
          if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        m = a[int((k + 1) / 2)]
        return m
      }
      END {
        k = 0
        for (r in n) if (r in d && d[r] > 0) { ++k; q[k] = n[r] / d[r]; x[k] = n[r]; y[k] = d[r] }
        if (k == 0) { printf "%-60s %18s\n", what, "n/a"; exit }
        lo = q[1]; hi = q[1]
        for (i = 1; i <= k; ++i) { if (q[i] < lo) lo = q[i]; if (q[i] > hi) hi = q[i] }
        printf "%-60s %5.2fx (%.2f-%.2f) %14.0f %14.0f\n", what, median(q, k), lo, hi, median(x, k), median(y, k)
      }' "$figures"
  done
  echo "outputs of every bench: $out"
} | tee "$out/summary.txt"
