#!/usr/bin/env bash
# Several nodes: throughput of 1, 2 and 3 nodes on one PostgreSQL database
# with the clients spread over the nodes, and failover time (SIGKILL of a
# namespace's owner to the first write acknowledged through another node).
#
# Throughput: wrk against each node's HTTP gateway at once, the same 48
# keep-alive connections in all (48 on one node, 24 on each of two, 16 on
# each of three), 16-byte keys and 100-byte values over 64 namespaces,
# half GET and half PUT. Placement spreads the namespaces over the nodes,
# so with n nodes about (n-1)/n of the requests are forwarded one hop.
# Durability is sync (a cluster needs it): every PUT is committed to
# PostgreSQL, fsync on, before its reply. Each figure is a ratio to the
# single node measured in the same round.
#
# Failover: three nodes (heartbeat 200 ms, member timeout 1 s); a client
# of one node writes to a namespace another owns, the owner is killed, and
# the time until a write sent after the kill is acknowledged is measured,
# once per trial, each trial on a fresh database.
#
# Installs wrk and curl from Debian if they are missing; starts its own
# throwaway PostgreSQL cluster (scripts/with-postgres.sh).
# Usage: scripts/bench-cluster.sh [--rounds=N] [--seconds=S] [--trials=N]
#                                 [--quick] [--out=DIR]
#   --quick: 1 round of 2 s and 3 trials: checks that it works.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3
seconds=10
trials=20
out=
inner=0
for arg in "$@"; do
  case $arg in
  --rounds=*) rounds=${arg#--rounds=} ;;
  --seconds=*) seconds=${arg#--seconds=} ;;
  --trials=*) trials=${arg#--trials=} ;;
  --quick) rounds=1 seconds=2 trials=3 ;;
  --out=*) out=${arg#--out=} ;;
  --inner) inner=1 ;;
  *)
    echo "usage: $0 [--rounds=N] [--seconds=S] [--trials=N] [--quick] [--out=DIR]" >&2
    exit 2
    ;;
  esac
done

if ((!inner)); then
  if ! command -v wrk >/dev/null || ! command -v curl >/dev/null; then
    echo "installing wrk and curl" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk curl >/dev/null
  fi
  echo "building" >&2
  scripts/build.sh >/dev/null
  out=${out:-$(mktemp -d /tmp/statekeeper-bench-cluster.XXXXXX)}
  mkdir -p "$out"
  exec scripts/with-postgres.sh "$0" --inner --rounds="$rounds" \
    --seconds="$seconds" --trials="$trials" --out="$out"
fi

binary=build/statekeeper
figures=$out/figures.txt
: >"$figures"
pids=()
http_ports=()

# A free TCP port of 127.0.0.1.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now_ms() {
  echo $(($(date +%s%N) / 1000000))
}

# Starts node NAME on database DB with extra options; records its pid and
# HTTP port.
start_node() {
  local db=$1 name=$2
  shift 2
  local port log
  port=$(free_port)
  log=$out/$db.$name.log
  "$binary" --statekeeper.port="$port" --statekeeper.http.port=0 \
    --statekeeper.backend=postgres \
    --statekeeper.postgres.conninfo="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db" \
    --statekeeper.cluster.enable --statekeeper.cluster.node-name="$name" \
    --statekeeper.cluster.peer-token=bench-peer-secret "$@" >"$log" 2>&1 &
  pids+=($!)
  # Not a job of this shell: a node killed on purpose is not reported.
  disown $!
  local http=
  for _ in $(seq 200); do
    http=$(sed -n 's/.*serving HTTP on 127.0.0.1:\([0-9]*\).*/\1/p' "$log")
    [ -n "$http" ] && break
    sleep 0.05
  done
  [ -n "$http" ] || { echo "node $name did not start:" >&2; cat "$log" >&2; exit 1; }
  http_ports+=("$http")
}

stop_nodes() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 200); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
  done
  pids=()
  http_ports=()
}
trap stop_nodes EXIT

# Waits until every node sees N live members (they agree on placement).
wait_members() {
  local n=$1 port seen
  for _ in $(seq 200); do
    local all=1
    for port in "${http_ports[@]}"; do
      seen=$(curl -s "http://127.0.0.1:$port/metrics" |
        awk '$1 == "statekeeper_cluster_members" { print $2 }')
      [ "${seen:-0}" = "$n" ] || all=0
    done
    ((all)) && return 0
    sleep 0.05
  done
  echo "the nodes did not see $n members" >&2
  exit 1
}

lua=$out/mix.lua
cat >"$lua" <<'EOF'
-- 16-byte keys, 100-byte values, 100 keys in each of 64 namespaces, GET
-- and PUT in turn. The argument seeds each wrk apart from the others.
local value = string.rep("v", 100)
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  n = 0; failed = 0; missing = 0
  math.randomseed(os.time() * 1000 + tonumber(args[1] or 0))
end
function request()
  n = n + 1
  local path = string.format("/v1/ns/bench%%2Fn%d/keys/key-%012d",
                             math.random(0, 63), math.random(0, 99))
  if n % 2 == 0 then return wrk.format("PUT", path, nil, value) end
  return wrk.format("GET", path)
end
-- A GET of a key not written yet is a 404 (counted apart); anything else
-- but a 200 is an error.
function response(status)
  if status == 404 then missing = missing + 1
  elseif status ~= 200 then failed = failed + 1 end
end
function done(summary, latency, requests)
  local f, m = 0, 0
  for _, t in ipairs(threads) do f = f + t:get("failed"); m = m + t:get("missing") end
  local e = summary.errors
  io.write(string.format("figure rps %.1f\n", summary.requests / summary.duration * 1e6))
  io.write(string.format("figure p50_ms %.3f\n", latency:percentile(50) / 1000))
  io.write(string.format("figure p99_ms %.3f\n", latency:percentile(99) / 1000))
  io.write(string.format("figure failed %d\n", f + e.connect + e.read + e.write + e.timeout))
  io.write(string.format("figure missing %d\n", m))
end
EOF

# Busy and total jiffies of all cores so far.
cpu_jiffies() {
  awk '$1 == "cpu" { busy = $2 + $3 + $4 + $7 + $8; print busy, busy + $5 + $6 }' /proc/stat
}

# The sum of metric NAME over the nodes.
metric_sum() {
  local name=$1 port total=0 value
  for port in "${http_ports[@]}"; do
    value=$(curl -s "http://127.0.0.1:$port/metrics" | awk -v n="$name" '$1 == n { print $2 }')
    total=$((total + ${value:-0}))
  done
  echo "$total"
}

# Runs the mix against N fresh nodes; appends "ROUND throughput N rps p50
# p99 errors cpu_busy batches_per_commit not_found" (p50 and p99: the
# slowest node's; errors: answers other than 200 and 404, and socket
# errors; batches per commit: namespaces' write batches each PostgreSQL
# transaction carried).
throughput() {
  local round=$1 n=$2 db=bench_${1}_$2
  createdb "$db"
  for i in $(seq "$n"); do
    start_node "$db" "node-$i"
  done
  wait_members "$n"
  local conns=$((48 / n)) i=0 wrk_pids=() cpu_before cpu_after
  local commits_before batches_before
  # Warm-up: the namespaces load and most keys are written.
  for port in "${http_ports[@]}"; do
    i=$((i + 1))
    wrk -t1 -c"$conns" -d1s -s "$lua" "http://127.0.0.1:$port/" -- "$i" >/dev/null 2>&1 &
    wrk_pids+=($!)
  done
  for pid in "${wrk_pids[@]}"; do
    wait "$pid"
  done
  i=0 wrk_pids=()
  commits_before=$(metric_sum statekeeper_commits_total)
  batches_before=$(metric_sum statekeeper_commit_batches_total)
  cpu_before=$(cpu_jiffies)
  for port in "${http_ports[@]}"; do
    i=$((i + 1))
    wrk -t1 -c"$conns" -d"$seconds"s -s "$lua" "http://127.0.0.1:$port/" \
      -- "$((10 * n + i))" >"$out/wrk.$round.$n.$i.txt" 2>&1 &
    wrk_pids+=($!)
  done
  for pid in "${wrk_pids[@]}"; do
    wait "$pid"
  done
  cpu_after=$(cpu_jiffies)
  local commits batches
  commits=$(($(metric_sum statekeeper_commits_total) - commits_before))
  batches=$(($(metric_sum statekeeper_commit_batches_total) - batches_before))
  stop_nodes
  dropdb "$db"
  cat "$out"/wrk."$round"."$n".*.txt | awk -v r="$round" -v n="$n" \
    -v cpu="$cpu_before $cpu_after" -v commits="$commits" -v batches="$batches" '
    $1 == "figure" && $2 == "rps" { rps += $3 }
    $1 == "figure" && $2 == "p50_ms" { if ($3 > p50) p50 = $3 }
    $1 == "figure" && $2 == "p99_ms" { if ($3 > p99) p99 = $3 }
    $1 == "figure" && $2 == "failed" { failed += $3 }
    $1 == "figure" && $2 == "missing" { missing += $3 }
    END {
      split(cpu, c, " ")
      busy = (c[4] > c[2]) ? (c[3] - c[1]) / (c[4] - c[2]) : 0
      printf "%s throughput %d %.0f %.3f %.3f %d %.2f %.1f %d\n", r, n, rps, p50, p99, failed,
        busy, (commits > 0 ? batches / commits : 0), missing
    }' >>"$figures"
}

# One failover trial on a fresh database; appends "failover MS".
failover() {
  local trial=$1 db=bench_failover_$1
  createdb "$db"
  for i in 1 2 3; do
    start_node "$db" "node-$i" --statekeeper.cluster.heartbeat-interval=200ms \
      --statekeeper.cluster.member-timeout=1s
  done
  wait_members 3
  local path=/v1/ns/bench%2Ffailover/keys/k
  curl -sf -X PUT --data-binary first "http://127.0.0.1:${http_ports[0]}$path" >/dev/null
  local holder
  holder=$(psql -d "$db" -Atc "SELECT m.name FROM sk_leases l JOIN sk_members m
                                ON m.id = l.owner")
  local owner=${holder#node-} writer=1
  [ "$owner" = 1 ] && writer=2
  local port=${http_ports[$((writer - 1))]}
  local killed status
  kill -KILL "${pids[$((owner - 1))]}"
  killed=$(now_ms)
  for _ in $(seq 3000); do
    status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary x \
      "http://127.0.0.1:$port$path")
    [ "$status" = 200 ] && break
    sleep 0.005
  done
  [ "$status" = 200 ] || { echo "no write acknowledged after the kill" >&2; exit 1; }
  echo "$trial failover $(($(now_ms) - killed))" >>"$figures"
  stop_nodes
  dropdb "$db"
}

for round in $(seq "$rounds"); do
  for n in 1 2 3; do
    echo "round $round/$rounds: $n node(s), ${seconds} s" >&2
    throughput "$round" "$n"
  done
done
for trial in $(seq "$trials"); do
  echo "failover trial $trial/$trials" >&2
  failover "$trial"
done

{
  echo "several nodes: $rounds round(s) of $seconds s, 48 connections spread over the nodes; median (range)"
  printf '%-6s %22s %11s %8s %8s %7s %9s %15s %10s\n' nodes "ratio to 1 node" "requests/s" "p50 ms" "p99 ms" "errors" "CPU busy" "batches/commit" "404 share"
  awk '$2 == "throughput" { rps[$1, $3] = $4; p50[$1, $3] = $5; p99[$1, $3] = $6; bad[$1, $3] = $7; busy[$1, $3] = $8; group[$1, $3] = $9; nf[$1, $3] = $10; rounds[$1] = 1 }
    function median(a, k,   i, j, t) {
      for (i = 1; i <= k; ++i) for (j = i + 1; j <= k; ++j)
        if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return a[int((k + 1) / 2)]
    }
    END {
      for (n = 1; n <= 3; ++n) {
        k = 0; failed = 0
        for (r in rounds) if (rps[r, 1] > 0) {
          ++k; q[k] = rps[r, n] / rps[r, 1]; x[k] = rps[r, n]; y[k] = p50[r, n]; z[k] = p99[r, n]
          u[k] = busy[r, n]; g[k] = group[r, n]; h[k] = nf[r, n] / (rps[r, n] * secs)
          failed += bad[r, n]
        }
        lo = q[1]; hi = q[1]
        for (i = 1; i <= k; ++i) { if (q[i] < lo) lo = q[i]; if (q[i] > hi) hi = q[i] }
        printf "%-6d %8.2fx (%.2f-%.2f) %11.0f %8.2f %8.2f %7d %8.0f%% %15.1f %9.1f%%\n", n, median(q, k), lo, hi, median(x, k), median(y, k), median(z, k), failed, 100 * median(u, k), median(g, k), 100 * median(h, k)
      }
    }' secs="$seconds" "$figures"
  awk '$2 == "failover" { ++k; t[k] = $3 }
    END {
      if (k == 0) exit
      for (i = 1; i <= k; ++i) for (j = i + 1; j <= k; ++j)
        if (t[j] < t[i]) { x = t[i]; t[i] = t[j]; t[j] = x }
      printf "failover (SIGKILL to the first write acknowledged, member timeout 1 s), %d trials: median %d ms, best %d ms, worst %d ms\n", k, t[int((k + 1) / 2)], t[1], t[k]
    }' "$figures"
  echo "outputs: $out"
} | tee "$out/summary.txt"
