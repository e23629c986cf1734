#!/usr/bin/env bash
# Runs the operations scenarios (sweep, slow consumer) against the packaged service, server pinned
# to core 0 and load generator to core 1. Usage: bench/run-operations.sh [sweep|slow] [scenario options]
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-sweep}
shift || true
port=${PORT:-18080}
jar=target/quarkus-app/quarkus-run.jar
bench=bench/target/lobbyhub-bench.jar
[ -f "$jar" ] || ./mvnw -B -ntp -q package -DskipTests
[ -f "$bench" ] || ./mvnw -B -ntp -q -f bench/pom.xml package
log=$(mktemp -t lobbyhub-bench-server.XXXXXX)

env LOBBYHUB_AUTH_JWT_SECRET=bench-secret-bench-secret-bench-secret \
  LOBBYHUB_LIMITS_MAX_CONNECTIONS=20000 LOBBYHUB_LIMITS_HANDSHAKES_PER_SECOND=1000000 LOBBYHUB_LIMITS_HANDSHAKE_BURST=1000000 LOBBYHUB_LIMITS_MAX_EVENT_LOOP_LAG=1h LOBBYHUB_HEALTH_PING_INTERVAL=5s LOBBYHUB_HEALTH_STALE_AFTER=15s \
  LOBBYHUB_LIMITS_MAX_PER_LOBBY=10 LOBBYHUB_LIMITS_MESSAGES_PER_SECOND=${RATE_LIMIT:-100000} \
  LOBBYHUB_LIMITS_BURST=${RATE_LIMIT:-100000} QUARKUS_HTTP_PORT="$port" QUARKUS_SHUTDOWN_DELAY=0s \
  QUARKUS_LOG_CATEGORY__DEV_LOBBYHUB_REGISTRY__LEVEL=WARN \
  taskset -c 0 java -jar "$jar" > "$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do grep -q "Listening on" "$log" && break; sleep 1; done
grep -q "Listening on" "$log" || { cat "$log"; exit 1; }

case "$scenario" in
  sweep) taskset -c 1 java -Xmx2g -cp "$bench" dev.lobbyhub.bench.SweepScenario --port "$port" --pid "$server" "$@" ;;
  slow) taskset -c 1 java -Xmx1g -cp "$bench" dev.lobbyhub.bench.SlowConsumerScenario --port "$port" --pid "$server" "$@" ;;
  *) echo "unknown scenario $scenario (sweep or slow)"; exit 2 ;;
esac
