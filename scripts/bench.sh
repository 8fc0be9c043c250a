#!/usr/bin/env bash
# Measures statekeeper against its floors and the systems its users would
# pick instead, side by side on this machine: every row is a ratio of two
# figures measured in the same round, and each round runs every bench once.
#   in-process   a bare CAF actor owning an unordered_map, a std::mutex
#                around one from 2 threads, a thread per operation bridging
#                to a single-threaded store; the blocking client against a
#                scoped_actor
#   CAF peer     Zeek Broker's memory data store
#   remote       raw CAF remoting, redis-benchmark (-P 1 and -P 16)
#   durable      libpqxx one row per transaction, Redis appendfsync always
#   HTTP         a minimal Beast server answering a fixed body
#   memory       Redis holding the same data (used_memory and RSS)
#   activation   the same rows read with one SELECT through libpqxx
#   namespaces   creating new namespaces against writing to active ones
# The workload: 16-byte keys, 100-byte values, 50/50 get/put unless a row
# says otherwise.
# Writes results.csv (one line per row: median, range, both figures and
# their latencies), chart.svg (the ratios, plotted) and summary.txt into the
# results directory, with every bench's own output; prints the summary.
# Installs what it needs from Debian (scripts/install-deps.sh --bench),
# starts its own Redis servers and throwaway PostgreSQL clusters (fsync on).
# Usage: scripts/bench.sh [--rounds=N] [--quick] [--out=DIR]
#        scripts/bench.sh --report=DIR
#   --quick: small runs (seconds, not minutes): checks that it works; the
#            figures are then only indicative.
#   --report: measures nothing; writes the summary, results.csv, table.md
#             (the rows as a Markdown table) and chart.svg again from the
#             figures of an earlier run in DIR.
set -eEuo pipefail
cd "$(dirname "$0")/.."
rounds=3
quick=0
out=
report=
for arg in "$@"; do
  case $arg in
  --rounds=*) rounds=${arg#--rounds=} ;;
  --quick) quick=1 ;;
  --out=*) out=${arg#--out=} ;;
  --report=*) report=${arg#--report=} ;;
  *)
    echo "usage: $0 [--rounds=N] [--quick] [--out=DIR] | --report=DIR" >&2
    exit 2
    ;;
  esac
done
if ((quick)); then
  inproc_ops=20000 peer_ops=2000 remote_ops=2000 watch_writes=2000
  pg_writes=2000 redis_ops=20000 redis_fsync_ops=2000 http_seconds=1
  memory_keys=100000 memory_namespaces=10000 activation_keys=10000
  namespace_writes=10000
else
  inproc_ops=200000 peer_ops=20000 remote_ops=20000 watch_writes=20000
  pg_writes=32000 redis_ops=200000 redis_fsync_ops=20000 http_seconds=10
  memory_keys=1000000 memory_namespaces=100000 activation_keys=100000
  namespace_writes=100000
fi

if [ -n "$report" ]; then
  command -v gnuplot >/dev/null ||
    { echo "bench: --report needs gnuplot (apt-get install gnuplot-nox)" >&2; exit 1; }
  out=$report
  figures=$out/figures.txt
  [ -s "$figures" ] || { echo "bench: no figures in $out" >&2; exit 1; }
  rounds=$(awk '$1 > n { n = $1 } END { print n }' "$figures")
  # The sizes of the scenarios measured, for the rows' labels.
  if [ -s "$out/sizes.txt" ]; then
    read -r memory_keys memory_namespaces activation_keys namespace_writes \
      <"$out/sizes.txt"
  fi
else
  scripts/install-deps.sh --bench
  echo "building" >&2
  scripts/build.sh >/dev/null
  [ -x build/statekeeper_broker_bench ] ||
    { echo "bench: libbroker-dev was not found by the build" >&2; exit 1; }
  out=${out:-$(mktemp -d /tmp/statekeeper-bench.XXXXXX)}
  mkdir -p "$out"
  figures=$out/figures.txt
  : >"$figures"
  echo "$memory_keys $memory_namespaces $activation_keys $namespace_writes" \
    >"$out/sizes.txt"
fi
started=$SECONDS

# Prints progress: the round, the step, the time so far.
last_step=
step() {
  last_step="round $round/$rounds: $*"
  echo "[$((SECONDS - started))s] $last_step" >&2
}
trap '[ -z "$last_step" ] || echo "bench: failed during $last_step (outputs in $out)" >&2' ERR

# Appends the `figure NAME VALUE P50 P99` lines of a bench's output to the
# figures, tagged with the round.
record() {
  grep -q '^figure ' "$1" || { echo "bench: no figures in $1" >&2; exit 1; }
  grep '^figure ' "$1" | awk -v r="$round" '{ print r, $2, $3, $4 + 0, $5 + 0 }' >>"$figures"
}

free_port() {
  echo $((20000 + RANDOM % 30000))
}

# Starts a fresh redis-server with the given options (another port if the
# one drawn is taken); sets redis_port, redis_pid and redis_dir.
start_redis() {
  for _ in 1 2 3 4 5; do
    redis_port=$(free_port)
    redis_dir=$(mktemp -d)
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" \
      --save '' "$@" >"$redis_dir/server.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 100); do
      kill -0 "$redis_pid" 2>/dev/null || break
      redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return
      sleep 0.1
    done
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    echo "redis-server did not start on port $redis_port: $(cat "$redis_dir/server.log")" >&2
    rm -rf "$redis_dir"
  done
  exit 1
}

stop_redis() {
  kill "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  rm -rf "$redis_dir"
}

# Runs redis-benchmark against a fresh redis-server started with the given
# options and records figure NAME: for set,get the rate of a 50/50 mix (the
# harmonic mean of both rates), the mean of their median latencies and the
# higher of their 99th percentiles.
redis_figure() {
  local name=$1 tests=$2 clients=$3 pipeline=$4 ops=$5
  shift 5
  start_redis "$@"
  redis-benchmark -p "$redis_port" -t "$tests" -c "$clients" -P "$pipeline" \
    -d 100 -r 10000 -n "$ops" --csv 2>/dev/null |
    awk -F, -v r="$round" -v name="$name" '
      { gsub(/"/, "") }
      $1 == "SET" || $1 == "GET" {
        ++k; inv += 1 / $2; p50 += $5 * 1000; if ($7 * 1000 > p99) p99 = $7 * 1000
      }
      END { if (k) printf "%s %s %.1f %.1f %.1f\n", r, name, k / inv, p50 / k, p99 }' \
      >>"$figures"
  stop_redis
}

# Records what Redis takes for the same data as statekeeper_footprint_bench
# --memory: KEYS entries (16-byte keys, 100-byte values), flat if NAMESPACES
# is 1, else a hash per namespace (a Redis user's namespace). Figures
# redis_memory_NAME (used_memory) and redis_rss_NAME, in bytes per entry.
redis_memory() {
  local name=$1 keys=$2 namespaces=$3
  start_redis --appendonly no
  local before after
  before=$(redis-cli -p "$redis_port" info memory | tr -d '\r' |
    awk -F: '$1 == "used_memory" || $1 == "used_memory_rss" { printf "%s ", $2 }')
  awk -v keys="$keys" -v namespaces="$namespaces" 'BEGIN {
      v = sprintf("%100s", ""); gsub(/ /, "v", v)
      per = keys / namespaces
      for (n = 0; n < namespaces; ++n) {
        if (namespaces == 1) {
          for (i = 0; i < keys; ++i) {
            k = sprintf("key-%012d", i)
            printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
          }
        } else {
          ns = sprintf("ns-%d", n)
          printf "*%d\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n", 2 + 2 * per, length(ns), ns
          for (i = 0; i < per; ++i) {
            k = sprintf("key-%012d", i)
            printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
          }
        }
      }
    }' | redis-cli -p "$redis_port" --pipe >/dev/null
  after=$(redis-cli -p "$redis_port" info memory | tr -d '\r' |
    awk -F: '$1 == "used_memory" || $1 == "used_memory_rss" { printf "%s ", $2 }')
  read -r used_before rss_before <<<"$before"
  read -r used_after rss_after <<<"$after"
  echo "$round redis_memory_$name $(((used_after - used_before) / keys)) 0 0" >>"$figures"
  echo "$round redis_rss_$name $(((rss_after - rss_before) / keys)) 0 0" >>"$figures"
  stop_redis
}

for round in $(seq "$rounds"); do
  [ -z "$report" ] || break
  step "in-process"
  build/statekeeper_bench --ops=$inproc_ops >"$out/inprocess.$round.txt"
  record "$out/inprocess.$round.txt"

  step "Zeek Broker's data store"
  build/statekeeper_broker_bench --ops=$peer_ops >"$out/broker.$round.txt"
  record "$out/broker.$round.txt"

  step "remote (separate processes)"
  build/statekeeper_remote_bench --ops=$remote_ops >"$out/remote.$round.txt"
  record "$out/remote.$round.txt"

  step "redis-benchmark"
  redis_figure redis_50 set,get 50 1 $redis_ops --appendonly no
  redis_figure redis_50_p16 set,get 50 16 $((redis_ops * 4)) --appendonly no
  # Durable writes: every write fsynced before its reply.
  redis_figure redis_always_64 set 64 1 $redis_fsync_ops --appendonly yes --appendfsync always
  redis_figure redis_always_256 set 256 1 $redis_fsync_ops --appendonly yes --appendfsync always

  step "HTTP under wrk"
  build/statekeeper_http_bench --seconds=$http_seconds >"$out/http.$round.txt"
  record "$out/http.$round.txt"

  step "watch"
  build/statekeeper_watch_bench --writes=$watch_writes >"$out/watch.$round.txt"
  record "$out/watch.$round.txt"

  step "PostgreSQL, fsync on: durable writes, activation"
  scripts/with-postgres.sh sh -c "build/statekeeper_pg_bench --rounds=1 \
    --writes=$pg_writes && build/statekeeper_footprint_bench --activation \
    --keys=$activation_keys" >"$out/postgres.$round.txt" 2>&1
  record "$out/postgres.$round.txt"

  step "memory: statekeeper and Redis"
  build/statekeeper_footprint_bench --memory --keys=$memory_keys \
    >"$out/memory.$round.txt"
  build/statekeeper_footprint_bench --memory --keys=$memory_keys \
    --namespaces=$memory_namespaces --active=1000 >>"$out/memory.$round.txt"
  record "$out/memory.$round.txt"
  redis_memory flat $memory_keys 1
  redis_memory spread $memory_keys $memory_namespaces

  step "many namespaces"
  build/statekeeper_footprint_bench --namespaces --writes=$namespace_writes \
    --active=1000 >"$out/namespaces.$round.txt"
  record "$out/namespaces.$round.txt"
done

# Each row: what it measures | NUMERATOR | DENOMINATOR figure names | which
# way is better for statekeeper (the ratio's) | unit | goal | label in the
# chart.
thousands() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
n_mem=$(thousands "$memory_keys")
n_ns=$(thousands "$memory_namespaces")
n_act=$(thousands "$activation_keys")
n_new=$(thousands "$namespace_writes")
rows=(
  "in-process, 1 namespace, 64 in flight, vs bare actor|inprocess_direct_1ns_64|inprocess_actor_64|higher|ops/s|>= 0.8x|1 ns, 64 in flight: bare actor"
  "  vs std::mutex + unordered_map, 2 threads|inprocess_direct_1ns_64|inprocess_mutex_1ns|higher|ops/s||1 ns, 64 in flight: mutex, 2 threads"
  "  vs a thread per operation, 64 in flight|inprocess_direct_1ns_64|inprocess_bridge_1ns_64|higher|ops/s||1 ns, 64 in flight: thread per op"
  "  through the router, vs bare actor|inprocess_router_1ns_64|inprocess_actor_64|higher|ops/s||1 ns, via router: bare actor"
  "in-process, 1,000 namespaces, 256 in flight, vs bare actor|inprocess_direct_1000ns_256|inprocess_actor_256|higher|ops/s|>= 0.9x|1,000 ns, 256 in flight: bare actor"
  "  vs std::mutex, 1,000 maps, 2 threads|inprocess_direct_1000ns_256|inprocess_mutex_1000ns|higher|ops/s||1,000 ns, 256: mutex, 2 threads"
  "  vs a thread per operation, 256 in flight|inprocess_direct_1000ns_256|inprocess_bridge_1000ns_256|higher|ops/s||1,000 ns, 256: thread per op"
  "  through the router, vs bare actor|inprocess_router_1000ns_256|inprocess_actor_256|higher|ops/s||1,000 ns, via router: bare actor"
  "one at a time: blocking client vs scoped_actor + bare actor|inprocess_blocking_client|inprocess_scoped_actor|higher|ops/s||blocking client: scoped_actor"
  "Zeek Broker: insert if absent, 1 at a time (put_unique)|peer_sk_insert_1|peer_broker_insert_1|higher|ops/s|> 1.0x|Broker put_unique, 1 at a time"
  "Zeek Broker: get, 1 at a time (blocking get)|peer_sk_get_1|peer_broker_get_1|higher|ops/s|> 1.0x|Broker get, 1 at a time"
  "Zeek Broker: get, 64 in flight (store proxy)|peer_sk_get_64|peer_broker_get_64|higher|ops/s|> 1.0x|Broker proxy get, 64 in flight"
  "remote, 1 in flight, vs raw CAF remoting|remote_tcp_1|remote_raw_1|higher|ops/s|>= 0.9x|remote, 1 in flight: raw CAF"
  "  raw CAF remoting behind statekeeper's hops, vs raw|remote_hops_1|remote_raw_1|higher|ops/s||raw CAF behind our hops, 1: raw"
  "remote, 64 in flight, vs raw CAF remoting|remote_tcp_64|remote_raw_64|higher|ops/s|>= 1.0x|remote, 64 in flight: raw CAF"
  "  raw CAF remoting behind statekeeper's hops, vs raw|remote_hops_64|remote_raw_64|higher|ops/s||raw CAF behind our hops, 64: raw"
  "remote, 64 in flight, vs redis-benchmark -c 50 -P 1|remote_tcp_64|redis_50|higher|ops/s|>= 1.0x|remote, 64: redis-benchmark -P 1"
  "remote, 64 in flight, vs redis-benchmark -c 50 -P 16|remote_tcp_64|redis_50_p16|higher|ops/s||remote, 64: redis-benchmark -P 16"
  "sync, 1 namespace, 64 writers, vs libpqxx 64 threads|sync_1ns_64|sync_libpqxx_64|higher|writes/s|>= 10x|sync, 1 ns: libpqxx, 64 threads"
  "sync, 64 namespaces, 256 in flight, vs libpqxx|sync_64ns_256|sync_libpqxx_64|higher|writes/s|>= 15x|sync, 64 ns: libpqxx, 64 threads"
  "sync, 1 namespace, 64 writers, vs Redis always, 64 clients|sync_1ns_64|redis_always_64|higher|writes/s||sync, 1 ns: Redis fsync always"
  "sync, 64 namespaces, 256 in flight, vs Redis always, 256|sync_64ns_256|redis_always_256|higher|writes/s|>= 0.5x|sync, 64 ns: Redis fsync always"
  "HTTP GET, 50 connections, vs minimal Beast server|http_GET|http_floor_GET|higher|req/s|>= 0.7x|HTTP GET: minimal Beast"
  "HTTP PUT, 50 connections, vs minimal Beast server|http_PUT|http_floor_PUT|higher|req/s|>= 0.7x|HTTP PUT: minimal Beast"
  "memory, $n_mem keys in 1 namespace, vs Redis resident set|memory_sk_flat|redis_rss_flat|lower|B/key|<= 1.0x|memory, 1 ns: Redis RSS"
  "  vs Redis used_memory (its allocator's count)|memory_sk_flat|redis_memory_flat|lower|B/key||memory, 1 ns: Redis used_memory"
  "memory, $n_ns namespaces of 10 keys (1,000 active), vs Redis hashes, resident set|memory_sk_spread|redis_rss_spread|lower|B/key|<= 1.0x|memory, 10 keys/ns: Redis RSS"
  "  vs Redis used_memory (its allocator's count)|memory_sk_spread|redis_memory_spread|lower|B/key||memory, 10 keys/ns: Redis used_memory"
  "activation of $n_act keys from PostgreSQL, vs one SELECT|activation_sk|activation_select|higher|keys/s|>= 0.67x|activation: one SELECT"
  "$n_new writes creating namespaces (1,000 active), vs to 1,000|namespaces_new|namespaces_active|higher|writes/s|>= 0.5x|new namespaces: active ones"
  "watch, 100 watchers, vs no watcher|watch_100|watch_0|higher|writes/s|>= 0.25x|watch, 100 watchers: none"
)
csv=$out/results.csv
table=$out/table.md
chart_data=$out/chart.dat
echo "scenario,statekeeper_figure,baseline_figure,better,unit,ratio_median,ratio_min,ratio_max,statekeeper,baseline,statekeeper_p50_us,statekeeper_p99_us,baseline_p50_us,baseline_p99_us,goal,rounds" >"$csv"
: >"$chart_data"
echo "| scenario | statekeeper vs baseline | statekeeper | baseline | p50 / p99, statekeeper | p50 / p99, baseline | goal |" >"$table"
echo "|---|---|---|---|---|---|---|" >>"$table"
{
  echo "statekeeper vs floors and peers: $rounds round(s), ratios within each round; median (range)"
  echo "ratio: statekeeper / baseline (for B/key, lower is better; everywhere else higher)"
  printf '%-64s %19s %11s %11s %9s %9s %8s\n' "scenario" "ratio" "statekeeper" "baseline" "sk p50" "base p50" "goal"
  for row in "${rows[@]}"; do
    IFS='|' read -r what num den better unit goal label <<<"$row"
    awk -v num="$num" -v den="$den" -v what="$what" -v better="$better" \
      -v unit="$unit" -v goal="$goal" -v label="$label" -v csv="$csv" \
      -v chart="$chart_data" -v table="$table" '
      $2 == num { n[$1] = $3; np50[$1] = $4; np99[$1] = $5 }
      $2 == den { d[$1] = $3; dp50[$1] = $4; dp99[$1] = $5 }
      function median(a, k,   i, j, t) {
        for (i = 1; i <= k; ++i) for (j = i + 1; j <= k; ++j)
          if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return a[int((k + 1) / 2)]
      }
      function latency(us) {
        if (us <= 0) return "-"
        if (us >= 1000) return sprintf("%.1fms", us / 1000)
        return us >= 10 ? sprintf("%.0fus", us) : sprintf("%.1fus", us)
      }
      function amount(x) {
        if (unit == "B/key") return sprintf("%.0f B/key", x)
        if (x >= 1e6) return sprintf("%.2fM/s", x / 1e6)
        if (x >= 1e3) return sprintf("%.1fk/s", x / 1e3)
        return sprintf("%.0f/s", x)
      }
      END {
        k = 0
        for (r in n) if (r in d && d[r] > 0) {
          ++k; q[k] = n[r] / d[r]; x[k] = n[r]; y[k] = d[r]
          a50[k] = np50[r]; a99[k] = np99[r]; b50[k] = dp50[r]; b99[k] = dp99[r]
        }
        if (k == 0) {
          printf "%-64s %19s\n", what, "n/a"
          printf "| %s | n/a | | | | | %s |\n", what, goal >> table
          exit
        }
        lo = q[1]; hi = q[1]
        for (i = 1; i <= k; ++i) { if (q[i] < lo) lo = q[i]; if (q[i] > hi) hi = q[i] }
        m = median(q, k); mx = median(x, k); my = median(y, k)
        m50 = median(a50, k); m99 = median(a99, k); n50 = median(b50, k); n99 = median(b99, k)
        printf "%-64s %5.2fx (%.2f-%.2f) %11.0f %11.0f %9s %9s %8s\n", what, m, lo, hi, mx, my, latency(m50), latency(n50), goal
        pair = (m50 > 0) ? latency(m50) " / " latency(m99) : "-"
        base = (n50 > 0) ? latency(n50) " / " latency(n99) : "-"
        t = what; sub(/^  /, "... ", t)
        printf "| %s | %.2fx (%.2f-%.2f) | %s | %s | %s | %s | %s |\n", t, m, lo, hi, amount(mx), amount(my), pair, base, goal >> table
        printf "\"%s\",%s,%s,%s,%s,%.3f,%.3f,%.3f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,\"%s\",%d\n", label, num, den, better, unit, m, lo, hi, mx, my, m50, m99, n50, n99, goal, k >> csv
        # The chart shows how many times better statekeeper does.
        if (better == "lower") { adv = 1 / m; alo = 1 / hi; ahi = 1 / lo } else { adv = m; alo = lo; ahi = hi }
        printf "%s|%.4f|%.4f|%.4f\n", label, adv, alo, ahi >> chart
      }' "$figures"
  done
  awk '$2 == "namespaces_new_memory" { print $3 }' "$figures" | sort -n |
    awk -v n="$n_new" '{ v[NR] = $1 } END { if (NR) printf "resident set after creating %s namespaces (1,000 active): %.0f MiB (median)\n", n, v[int((NR + 1) / 2)] / 1048576 }'
  echo "results: $csv, chart: $out/chart.svg, outputs of every bench: $out"
} | tee "$out/summary.txt"

rows_in_chart=$(wc -l <"$chart_data")
gnuplot <<EOF
set terminal svg size 1000,$((120 + 22 * rows_in_chart)) dynamic noenhanced font "sans,12" background "white"
set output "$out/chart.svg"
set datafile separator "|"
set title "statekeeper against floors and peers, same machine, same run: median and range of $rounds round(s)"
set xlabel "times better than the baseline (throughput ratio; for memory, the baseline's bytes per key over statekeeper's)"
set logscale x 10
set xrange [0.01:100]
set yrange [$rows_in_chart:-1]
set ytics nomirror font "sans,11"
set grid xtics
set key off
set arrow from 1, graph 0 to 1, graph 1 nohead dashtype 2 linecolor rgb "#555555"
set lmargin 40
plot "$chart_data" using 2:0:3:4:ytic(1) with xerrorbars pointtype 7 pointsize 0.8 linecolor rgb "#1f5fa8", \
  "" using (\$2 >= 1 ? \$2 : 1/0):0 with points pointtype 7 pointsize 1.2 linecolor rgb "#2e8b57", \
  "" using (\$2 < 1 ? \$2 : 1/0):0 with points pointtype 7 pointsize 1.2 linecolor rgb "#d2691e"
EOF
