#!/usr/bin/env bash
# The whole benchmark in one command: every scenario against lobbyhub and each peer server, each
# server started fresh on core 0 and stopped after, the load generator on core 1. Each scenario
# runs in rounds, the servers interleaved: lobbyhub, vertx, …, lobbyhub, vertx, … (a fresh process
# every time), so that a slow spell of the machine hits one round of every server rather than all
# of one server's figures. Collects the RESULT lines of every run, each marked with its round, into
# bench/results/run-<date>.jsonl (raw output next to it as .log) and writes docs/benchmarks.md with
# its charts in docs/benchmarks/: medians over the rounds, ratios with their range, and the targets
# of bench/targets.properties.
#
# Usage: bench/run.sh [--force] [--quick] [--rounds N]
#   --force   run even when the machine is busy (the report then says so on top)
#   --quick   tiny sizes, a few minutes: checks the pipeline, the numbers mean nothing (2 rounds)
#   --rounds N   rounds per scenario (default 3; 2 with --quick)
#   SERVERS="lobbyhub vertx quarkus-naive node-ws bun"   (also lobbyhub-logoff: the same jar with the
#            lobby log off, LOBBYHUB_RECOVERY_HISTORY_SIZE=0; and lobbyhub-unpaced, the same jar without
#            handshake pacing, for the storm scenario only; neither in the default list)
#   SCENARIOS="startup idle handshake fanout direct slow sweep cluster"   (sweep and cluster: lobbyhub and
#            lobbyhub-logoff only; cluster runs two lobbyhub nodes and a redis-server, all three on core 0;
#            also storm, not in the default list: lobbyhub with its pacing defaults, lobbyhub-unpaced and
#            vertx only — SERVERS="lobbyhub lobbyhub-unpaced vertx" SCENARIOS=storm)
#   LOAD_LIMIT=0.5   highest 1-minute load average, and busiest other-process share of the CPU, to start
#   OUT=docs/benchmarks.md   LOBBYHUB_JAVA_OPTS="…"   PORT=18100 (first port; each run takes the next)
#   RESULTS=bench/results/run-<date>.jsonl   add to an earlier run instead of starting a new one:
#            its lines for the same server and scenario are replaced, its meta line is kept
#   RESULTS_DIR=bench/results   where a new results file and its raw output go
#   RATES=10000,20000,…   the fan-out, direct and cluster ladder instead of the default (or --quick's)
#   WARMUP_SECONDS=10   the unreported warm-up step at the ladder's first rate (full sizes only)
#   NOTES="…"   a sentence for the report's header
#   REDIS_SERVER=/usr/bin/redis-server   for the cluster scenario (skipped when it is missing)
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: bench/run.sh [--force] [--quick] [--rounds N]"; exit 2; }
force=false quick=false rounds=
args_given="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=true ;;
    --quick) quick=true ;;
    --rounds) [ $# -ge 2 ] || usage; rounds=$2; shift ;;
    --rounds=*) rounds=${1#--rounds=} ;;
    *) usage ;;
  esac
  shift
done
[ -n "$rounds" ] || { $quick && rounds=2 || rounds=3; }
case "$rounds" in ''|*[!0-9]*|0) echo "--rounds takes a number of 1 or more"; exit 2 ;; esac
servers=${SERVERS:-lobbyhub vertx quarkus-naive node-ws bun}
scenarios=${SCENARIOS:-startup idle handshake fanout direct slow sweep cluster}
redis_server=${REDIS_SERVER:-/usr/bin/redis-server}
load_limit=${LOAD_LIMIT:-0.5}
out=${OUT:-docs/benchmarks.md}
port=${PORT:-18100}
secret=bench-secret-bench-secret-bench-secret
lobbyhub_jar=target/quarkus-app/quarkus-run.jar
naive_jar=bench/peers/quarkus-naive/target/quarkus-app/quarkus-run.jar
bench=bench/target/lobbyhub-bench.jar
stamp=$(date -u +%Y-%m-%d-%H%M)
results_dir=${RESULTS_DIR:-bench/results}
mkdir -p "$results_dir"
if [ -n "${RESULTS:-}" ]; then
  results=$RESULTS; raw=${RESULTS%.jsonl}.log
  [ -f "$results" ] || { echo "no such results file: $results"; exit 2; }
else
  results=$results_dir/run-$stamp.jsonl; raw=$results_dir/run-$stamp.log
  : > "$results"
fi
new_results=$(mktemp -t bench-results.XXXXXX)

if $quick; then
  idle_args="--counts 200,1000"; handshake_args="--connections 500 --warmup 100"
  rates=${RATES:-2000,4000}
  fanout_args="--connections 200 --rates $rates --step-seconds 2 --warmup-seconds 2 --drain-seconds 5"
  slow_args="--step-seconds 4"; sweep_args="--connections 2000 --traffic 200 --rate 2000 --window-seconds 10"
  storm_args="--connections 2000 --live 200 --rate 2000 --baseline-seconds 3 --storm-seconds 10"
else
  idle_args="--counts 2000,10000,19000"; handshake_args="--connections 10000 --warmup 2000"
  rates=${RATES:-10000,20000,40000,60000,80000}
  fanout_args="--connections 2000 --rates $rates --step-seconds 10 --warmup-seconds ${WARMUP_SECONDS:-10}"
  slow_args=""; sweep_args=""; storm_args="--connections 7000 --live 2000 --rate 5000"
fi

# --- is the machine quiet? -----------------------------------------------------------------------
load_now() { cut -d' ' -f1 /proc/loadavg; }
# Share of all CPUs busy over one second, in percent (nothing of ours runs while it is sampled).
busy_percent() {
  local a b
  read -r _ a1 a2 a3 a4 a5 a6 a7 _ < /proc/stat; a=$((a1 + a2 + a3 + a6 + a7)); local at=$((a + a4 + a5))
  sleep 1
  read -r _ b1 b2 b3 b4 b5 b6 b7 _ < /proc/stat; b=$((b1 + b2 + b3 + b6 + b7)); local bt=$((b + b4 + b5))
  echo $(( (b - a) * 100 / (bt - at) ))
}
busy=false
load_before=$(load_now)
if awk -v l="$load_before" -v m="$load_limit" 'BEGIN { exit !(l > m) }'; then
  if $force; then busy=true; echo "load average $load_before > $load_limit: running anyway (--force), the report says so"
  else echo "load average $load_before > $load_limit: the machine is busy, refusing to run (--force to run anyway)"; exit 3; fi
fi
# Before each run: wait up to a minute for other processes to leave the CPUs alone.
quiet_or_mark() {
  local pct
  for _ in $(seq 1 30); do
    pct=$(busy_percent)
    [ "$pct" -le $(awk -v m="$load_limit" 'BEGIN { printf "%d", m * 100 / 2 }') ] && return 0
    sleep 1
  done
  echo "other processes keep ${pct} % of the CPUs busy"
  if $force; then busy=true; else echo "refusing to go on (--force to run anyway)"; exit 3; fi
}

# --- build what is missing -----------------------------------------------------------------------
./mvnw -B -ntp -q -f bench/pom.xml package
case " $servers " in *" lobbyhub "*|*" lobbyhub-logoff "*|*" lobbyhub-unpaced "*) [ -f "$lobbyhub_jar" ] || ./mvnw -B -ntp -q package -DskipTests ;; esac
case " $servers " in *" quarkus-naive "*)
  [ -f "$naive_jar" ] || ./mvnw -B -ntp -q -f bench/peers/quarkus-naive/pom.xml package -DskipTests ;; esac
for p in node-ws bun; do
  case " $servers " in *" $p "*) [ -d "bench/peers/$p/node_modules" ] || (cd "bench/peers/$p" && npm ci --no-audit --no-fund) ;; esac
done

# --- one server ----------------------------------------------------------------------------------
server_pid=
extra_pids=() # the cluster scenario's node B and Redis, stopped after server_pid in this order
is_lobbyhub() { case "$1" in lobbyhub|lobbyhub-logoff|lobbyhub-unpaced) return 0 ;; *) return 1 ;; esac; }
# Handshake pacing (SPEC §14) for the storm: the rate sized as the README says, to about half of what the
# server's one core handshakes (STORM_RATE, default 500 a second; the product's default, 1000, is for a node
# with more to spend), the burst and the event-loop lag bound at their defaults. Every other run lifts pacing
# so that the load generator is not throttled (the limits in launch_server).
storm_rate=${STORM_RATE:-500}
paced_env=(LOBBYHUB_LIMITS_HANDSHAKES_PER_SECOND=$storm_rate LOBBYHUB_LIMITS_HANDSHAKE_BURST=200 LOBBYHUB_LIMITS_MAX_EVENT_LOOP_LAG=250ms)
launch_server() { # name port log [lobbyhub env...] → sets server_pid (the server itself: env and taskset exec)
  local name=$1 p=$2 log=$3; shift 3
  case "$name" in
    lobbyhub|lobbyhub-logoff|lobbyhub-unpaced)
      [ "$name" != lobbyhub-logoff ] || set -- LOBBYHUB_RECOVERY_HISTORY_SIZE=0 "$@"
      env LOBBYHUB_AUTH_JWT_SECRET=$secret LOBBYHUB_LIMITS_MAX_CONNECTIONS=20000 LOBBYHUB_LIMITS_HANDSHAKES_PER_SECOND=1000000 LOBBYHUB_LIMITS_HANDSHAKE_BURST=1000000 LOBBYHUB_LIMITS_MAX_EVENT_LOOP_LAG=1h \
        LOBBYHUB_LIMITS_MESSAGES_PER_SECOND=100000 LOBBYHUB_LIMITS_BURST=100000 QUARKUS_HTTP_PORT="$p" \
        QUARKUS_SHUTDOWN_DELAY=0s QUARKUS_LOG_CATEGORY__DEV_LOBBYHUB_REGISTRY__LEVEL=WARN "$@" \
        taskset -c 0 java ${LOBBYHUB_JAVA_OPTS:-} -jar "$lobbyhub_jar" > "$log" 2>&1 & ;;
    vertx) env PORT="$p" taskset -c 0 java -cp "$bench" dev.lobbyhub.bench.peers.VertxLobbyServer > "$log" 2>&1 & ;;
    quarkus-naive) env PORT="$p" taskset -c 0 java -jar "$naive_jar" > "$log" 2>&1 & ;;
    node-ws) (cd bench/peers/node-ws && exec env PORT="$p" taskset -c 0 node server.js) > "$log" 2>&1 & ;;
    bun) (cd bench/peers/bun && exec env PORT="$p" taskset -c 0 node_modules/.bin/bun server.js) > "$log" 2>&1 & ;;
    *) echo "unknown server $name"; return 2 ;;
  esac
  server_pid=$!
}
await_port() {
  for _ in $(seq 1 240); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || return 1
    sleep 0.25
  done
  return 1
}
stop_pid() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$1" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
stop_server() {
  [ -z "$server_pid" ] || stop_pid "$server_pid"
  server_pid=
  for pid in "${extra_pids[@]}"; do stop_pid "$pid"; done
  extra_pids=()
}
# Cluster: Redis, then node A (server_pid) and node B on ports a and a+1, Redis on a+2, all on core 0.
cluster_a_pid= cluster_b_pid= redis_pid=
launch_cluster() { # name port-a log-a log-b log-redis → 0 when both nodes listen
  local name=$1; shift
  local a=$1 b=$(($1 + 1)) r=$(($1 + 2))
  taskset -c 0 "$redis_server" --port "$r" --bind 127.0.0.1 --save '' --appendonly no --daemonize no > "$4" 2>&1 &
  redis_pid=$!
  extra_pids=("$redis_pid")
  server_pid=$redis_pid; await_port "$r" || return 1
  local cluster_env=(LOBBYHUB_CLUSTER_ENABLED=true QUARKUS_REDIS_HOSTS="redis://127.0.0.1:$r")
  launch_server "$name" "$b" "$3" "${cluster_env[@]}" HOSTNAME=node-b
  cluster_b_pid=$server_pid
  extra_pids=("$cluster_b_pid" "$redis_pid")
  launch_server "$name" "$a" "$2" "${cluster_env[@]}" HOSTNAME=node-a
  cluster_a_pid=$server_pid
  await_port "$a" || return 1
  server_pid=$cluster_b_pid; await_port "$b" || { server_pid=$cluster_a_pid; return 1; }
  server_pid=$cluster_a_pid
}
# What the nodes logged at WARN or above, for the raw output.
node_warnings() { # name log
  local n
  n=$(grep -cE ' (WARN|ERROR) ' "$2" || true)
  echo "$1 log: $n WARN/ERROR lines"
  grep -E ' (WARN|ERROR) ' "$2" | head -20 || true
}
trap stop_server EXIT

# One run: a fresh server (or cluster), one scenario against it, its RESULT lines marked with the round.
run_one() { # name scenario round
  local name=$1 scenario=$2 round=$3 jvm=false
  case "$name" in lobbyhub|lobbyhub-logoff|lobbyhub-unpaced|vertx|quarkus-naive) jvm=true ;; esac
  port=$((port + 1))
  quiet_or_mark
  slog=$(mktemp -t "bench-$name.XXXXXX")
  extra_env=()
  [ "$scenario" != sweep ] || extra_env=(LOBBYHUB_HEALTH_PING_INTERVAL=5s LOBBYHUB_HEALTH_STALE_AFTER=15s)
  [ "$scenario:$name" != storm:lobbyhub ] || extra_env=("${paced_env[@]}")
  launched_at=$(date +%s%3N)
  if [ "$scenario" = cluster ]; then
    slog_b=$(mktemp -t "bench-$name-b.XXXXXX"); rlog=$(mktemp -t "bench-redis.XXXXXX")
    if ! launch_cluster "$name" "$port" "$slog" "$slog_b" "$rlog"; then
      echo "the cluster did not start:"; cat "$rlog" "$slog_b" "$slog"; stop_server; rm -f "$slog" "$slog_b" "$rlog"; return 0
    fi
    cluster_port=$port; port=$((port + 2))
  else
    launch_server "$name" "$port" "$slog" "${extra_env[@]}"
    if [ "$scenario" != startup ] && ! await_port "$port"; then
      echo "$name did not start:"; cat "$slog"; stop_server; rm -f "$slog"; return 0
    fi
  fi
  case "$scenario" in
    startup) cls=StartupScenario; args="--launched-at-ms $launched_at" ;;
    idle) cls=IdleMemoryScenario; args="--jvm $jvm $idle_args" ;;
    handshake) cls=HandshakeScenario; args="$handshake_args" ;;
    fanout) cls=FanoutScenario; args="--kind lobby $fanout_args" ;;
    direct) cls=FanoutScenario; args="--kind direct $fanout_args" ;;
    slow) cls=SlowReadersScenario; args="$slow_args" ;;
    sweep) cls=SweepUnderLoadScenario; args="$sweep_args" ;;
    storm) cls=StormScenario; args="$storm_args"
      [ "$name" != lobbyhub ] || args="$args --handshakes-per-second $storm_rate" ;;
    cluster) cls=ClusterScenario; args="--ports $cluster_port,$((cluster_port + 1)) --pids $cluster_a_pid,$cluster_b_pid"
      args="$args --redis-port $((cluster_port + 2)) --redis-pid $redis_pid $fanout_args" ;;
    *) echo "unknown scenario $scenario"; exit 2 ;;
  esac
  echo "== $name $scenario round $round of $rounds (pid $server_pid, port $port)" | tee -a "$raw"
  run=$(mktemp -t "bench-run.XXXXXX")
  # shellcheck disable=SC2086
  timeout 900 taskset -c 1 java -Xmx2g -cp "$bench" dev.lobbyhub.bench.$cls --port "$port" --pid "$server_pid" \
    --label "$name" --secret "$secret" $args > "$run" 2>&1 || echo "($name $scenario exited with $?)" >> "$run"
  if [ "$scenario" = cluster ]; then
    { node_warnings "node a" "$slog"; node_warnings "node b" "$slog_b"; } >> "$run"
  fi
  cat "$run" >> "$raw"
  grep -v '^RESULT ' "$run" || true
  # Results.emit writes {"scenario":…}: the round goes in front.
  grep '^RESULT {' "$run" | sed "s/^RESULT {/{\"round\":$round,/" >> "$new_results" || true
  stop_server
  rm -f "$slog" "$run"
  [ "$scenario" != cluster ] || rm -f "$slog_b" "$rlog"
}

# Per scenario, the rounds in turn and in each round every server: A, B, A, B, …
for scenario in $scenarios; do
  if [ "$scenario" = cluster ] && [ ! -x "$redis_server" ]; then
    echo "no $redis_server: cluster scenario skipped (REDIS_SERVER=… to point at one)"; continue
  fi
  for round in $(seq 1 "$rounds"); do
    for name in $servers; do
      [ "$scenario" != sweep ] || is_lobbyhub "$name" || continue
      [ "$scenario" != cluster ] || is_lobbyhub "$name" || continue
      [ "$scenario" != storm ] || case "$name" in lobbyhub|lobbyhub-unpaced|vertx) ;; *) continue ;; esac
      [ "$name" != lobbyhub-unpaced ] || [ "$scenario" = storm ] || continue
      run_one "$name" "$scenario" "$round"
    done
  done
done

# --- the report ----------------------------------------------------------------------------------
bun_version=$(bench/peers/bun/node_modules/.bin/bun --version 2>/dev/null || echo "?")
java_version=$(java -version 2>&1 | head -1 | cut -d'"' -f2)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//' || echo "?")
meta=$(printf '{"scenario":"meta","date":"%s","java":"%s","node":"%s","bun":"%s","quarkus":"3.33.2","ulimit_hn":%s,"cores":%s,"cpu":"%s","load_before":%s,"busy":%s,"rounds":%s,"command":"bench/run.sh %s","notes":"%s"}' \
  "$(date -u '+%Y-%m-%d %H:%M UTC')" "$java_version" "$(node -v 2>/dev/null || echo '?')" "$bun_version" \
  "$(ulimit -Hn)" "$(nproc)" "$cpu" "$load_before" "$busy" "$rounds" "$args_given" \
  "servers on core 0, load generator on core 1, $rounds rounds per scenario with the servers interleaved$(case " $scenarios " in *" cluster "*) echo ' (cluster: both nodes and Redis share core 0)' ;; esac); $($quick && echo 'QUICK RUN: tiny sizes, the numbers mean nothing' || echo 'full sizes')${NOTES:+; $NOTES}")
if [ -n "${RESULTS:-}" ]; then
  # The earlier run's lines for a server and scenario run again are dropped (all their rounds), the
  # rest kept; its meta line stays first (written now if it has none).
  echo "== added to $results: $(wc -l < "$new_results") results ($(date -u '+%Y-%m-%d %H:%M UTC'), bench/run.sh $args_given)" >> "$raw"
  if ! grep -q '"scenario":"meta"' "$results"; then
    { echo "$meta"; cat "$results"; } > "$results.tmp" && mv "$results.tmp" "$results"
  fi
  awk 'function key(line,   s, v) {
         s = match(line, /"scenario":"[^"]*"/) ? substr(line, RSTART, RLENGTH) : ""
         v = match(line, /"server":"[^"]*"/) ? substr(line, RSTART, RLENGTH) : ""
         return s " " v
       }
       FILENAME == ARGV[1] { rerun[key($0)] = 1; next }
       !(key($0) in rerun)' "$new_results" "$results" > "$results.tmp"
  cat "$new_results" >> "$results.tmp" && mv "$results.tmp" "$results"
else
  { echo "$meta"; cat "$new_results"; } > "$results"
fi
rm -f "$new_results"
java -cp "$bench" dev.lobbyhub.bench.report.Report --targets bench/targets.properties "$results" "$out" \
  "$(dirname "$out")/$(basename "$out" .md)"
echo "report: $out (data: $results, raw output: $raw)"
