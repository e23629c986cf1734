#!/usr/bin/env bash
# Runs FanoutScenario and IdleMemoryScenario against lobbyhub and each peer server, one after
# another, each server started fresh (pinned to core 0) and killed after; the load generator runs
# on core 1. Prints one markdown summary and saves it to bench/results/peers-<date>.md (raw output
# next to it as .log).
#
# Usage: bench/run-peers.sh
#   SERVERS="lobbyhub vertx quarkus-naive node-ws bun"   which servers, in this order
#   FANOUT_ARGS="--rates 5000,10000,20000,40000 --step-seconds 10"   extra FanoutScenario options
#   IDLE_ARGS="--counts 2000,10000"                        extra IdleMemoryScenario options
#   SCENARIOS="fanout idle"  PORT=18090 (first port; each run takes the next)
set -euo pipefail
cd "$(dirname "$0")/.."
servers=${SERVERS:-lobbyhub vertx quarkus-naive node-ws bun}
scenarios=${SCENARIOS:-fanout idle}
port=${PORT:-18090}
secret=bench-secret-bench-secret-bench-secret
lobbyhub_jar=target/quarkus-app/quarkus-run.jar
naive_jar=bench/peers/quarkus-naive/target/quarkus-app/quarkus-run.jar
bench=bench/target/lobbyhub-bench.jar
stamp=$(date -u +%Y-%m-%d-%H%M)
mkdir -p bench/results
out=bench/results/peers-$stamp.md
raw=bench/results/peers-$stamp.log

# --- build what is missing ---------------------------------------------------------------
./mvnw -B -ntp -q -f bench/pom.xml package
case " $servers " in *" lobbyhub "*) [ -f "$lobbyhub_jar" ] || ./mvnw -B -ntp -q package -DskipTests ;; esac
case " $servers " in *" quarkus-naive "*)
  [ -f "$naive_jar" ] || ./mvnw -B -ntp -q -f bench/peers/quarkus-naive/pom.xml package -DskipTests ;; esac
for p in node-ws bun; do
  case " $servers " in *" $p "*) [ -d "bench/peers/$p/node_modules" ] || (cd "bench/peers/$p" && npm ci --no-audit --no-fund) ;; esac
done

# --- one server ----------------------------------------------------------------------------
server_pid=
start_server() { # name port → sets server_pid (the server process itself: env and taskset exec)
  local name=$1 p=$2 log=$3
  case "$name" in
    lobbyhub)
      env LOBBYHUB_AUTH_JWT_SECRET=$secret LOBBYHUB_LIMITS_MAX_CONNECTIONS=20000 \
        LOBBYHUB_LIMITS_MESSAGES_PER_SECOND=100000 LOBBYHUB_LIMITS_BURST=100000 QUARKUS_HTTP_PORT="$p" \
        QUARKUS_SHUTDOWN_DELAY=0s QUARKUS_LOG_CATEGORY__DEV_LOBBYHUB_REGISTRY__LEVEL=WARN \
        taskset -c 0 java ${LOBBYHUB_JAVA_OPTS:-} -jar "$lobbyhub_jar" > "$log" 2>&1 & ;;
    vertx) env PORT="$p" taskset -c 0 java -cp "$bench" dev.lobbyhub.bench.peers.VertxLobbyServer > "$log" 2>&1 & ;;
    quarkus-naive) env PORT="$p" taskset -c 0 java -jar "$naive_jar" > "$log" 2>&1 & ;;
    node-ws) (cd bench/peers/node-ws && exec env PORT="$p" taskset -c 0 node server.js) > "$log" 2>&1 & ;;
    bun) (cd bench/peers/bun && exec env PORT="$p" taskset -c 0 node_modules/.bin/bun server.js) > "$log" 2>&1 & ;;
    *) echo "unknown server $name"; return 2 ;;
  esac
  server_pid=$!
  for _ in $(seq 1 120); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "$name did not start:"; cat "$log"; return 1
}
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill "$server_pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
trap stop_server EXIT

fanout_rows=()
idle_rows=()
for name in $servers; do
  jvm=false
  case "$name" in lobbyhub|vertx|quarkus-naive) jvm=true ;; esac
  for scenario in $scenarios; do
    port=$((port + 1))
    slog=$(mktemp -t "peer-$name.XXXXXX")
    start_server "$name" "$port" "$slog" || { stop_server; echo "skipping $name $scenario"; continue; }
    echo "== $name $scenario (pid $server_pid, port $port)" | tee -a "$raw"
    case "$scenario" in
      fanout) cls=FanoutScenario; extra=${FANOUT_ARGS:-} ;;
      idle) cls=IdleMemoryScenario; extra="--jvm $jvm ${IDLE_ARGS:-}" ;;
      *) echo "unknown scenario $scenario"; exit 2 ;;
    esac
    # shellcheck disable=SC2086
    run=$(mktemp -t "peer-run.XXXXXX")
    timeout 600 taskset -c 1 java -Xmx2g -cp "$bench" dev.lobbyhub.bench.$cls --port "$port" --pid "$server_pid" \
      --label "$name" --secret "$secret" $extra > "$run" 2>&1 || echo "($name $scenario exited with $?)" >> "$run"
    cat "$run" >> "$raw"
    grep -v '^TABLE ' "$run" || true
    rows=$(grep '^TABLE ' "$run" | sed 's/^TABLE //' || true)
    stop_server
    rm -f "$slog" "$run"
    while IFS= read -r r; do
      [ -n "$r" ] || continue
      if [ "$scenario" = fanout ]; then fanout_rows+=("$r"); else idle_rows+=("$r"); fi
    done <<< "$rows"
  done
done

{
  echo "# Peers: lobbyhub vs. minimal lobby servers ($stamp UTC)"
  echo
  echo "Server on core 0, load generator on core 1; java $(java -version 2>&1 | head -1 | cut -d'"' -f2), node $(node -v), bun $(bench/peers/bun/node_modules/.bin/bun --version 2>/dev/null || echo '?')."
  echo "FanoutScenario options: ${FANOUT_ARGS:-defaults}; IdleMemoryScenario options: ${IDLE_ARGS:-defaults}."
  if [ ${#fanout_rows[@]} -gt 0 ]; then
    echo
    echo "## Fan-out (lobbies of 10, one sender each, latency from the intended send time)"
    echo
    echo "| server | target deliveries/s | delivered/s (step + drain) | delivered | p50 ms | p99 ms | p99.9 ms | max ms | server CPU µs/delivery | server CPU | client CPU |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${fanout_rows[@]}"
  fi
  if [ ${#idle_rows[@]} -gt 0 ]; then
    echo
    echo "## Idle memory per connection (KB = 1000 bytes; growth over the server with no connection)"
    echo
    counts=$(sed -n 's/.*--counts \([0-9,]*\).*/\1/p' <<< "${IDLE_ARGS:-}")
    header="| server | RSS at start |"; rule="|---|---|"
    for c in $(tr , ' ' <<< "${counts:-2000,10000}"); do
      header+=" RSS/conn @$c | live heap/conn @$c |"; rule+="---|---|"
    done
    echo "$header"; echo "$rule"
    printf '%s\n' "${idle_rows[@]}"
  fi
} > "$out"
echo
cat "$out"
echo
echo "saved to $out (raw output: $raw)"
