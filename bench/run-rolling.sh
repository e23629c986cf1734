#!/usr/bin/env bash
# A rolling restart under traffic, as a Kubernetes rolling deploy does it: one redis-server, three
# packaged nodes with their production defaults (reconnect grace 20 s, drain period 10 s, shutdown
# delay 15 s) and haproxy in front of them (round robin, health-checking /q/health/ready, as a Service).
# The players (RollingRestartScenario) connect through haproxy and talk; once they are seated each node
# in turn gets SIGTERM, is waited for, started again and waited for until ready.
# Usage: bench/run-rolling.sh [scenario options, e.g. --players 1500 --interval-ms 2000]
# Everything shares the machine's cores (no pinning: four processes on two cores); the raw output goes
# to stdout, the nodes' logs stay in the printed work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${PORT:-18200} # nodes on base, base+1, base+2; Redis on base+3; haproxy on base+4
redis_port=$((base + 3)) balancer_port=$((base + 4))
secret=bench-secret-bench-secret-bench-secret
jar=target/quarkus-app/quarkus-run.jar
bench=bench/target/lobbyhub-bench.jar
[ -f "$jar" ] || ./mvnw -B -ntp -q package -DskipTests
./mvnw -B -ntp -q -f bench/pom.xml package
for port in $(seq "$base" "$balancer_port"); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use (a node of an earlier run?): stop it or choose another PORT"
    exit 1
  fi
done
work=$(mktemp -d -t lobbyhub-rolling.XXXXXX)
echo "work directory (node logs): $work"

pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no > "$work/redis.log" 2>&1 &
pids+=($!)

node_pids=()
start_node() { # index
  local port=$((base + $1))
  env LOBBYHUB_AUTH_JWT_SECRET=$secret LOBBYHUB_LIMITS_MAX_CONNECTIONS=20000 LOBBYHUB_LIMITS_MAX_PER_LOBBY=10 \
    LOBBYHUB_CLUSTER_ENABLED=true QUARKUS_REDIS_HOSTS="redis://127.0.0.1:$redis_port" HOSTNAME="node-$1" \
    QUARKUS_HTTP_PORT="$port" QUARKUS_LOG_CATEGORY__DEV_LOBBYHUB_REGISTRY__LEVEL=${REGISTRY_LOG_LEVEL:-WARN} \
    java -jar "$jar" >> "$work/node-$1.log" 2>&1 &
  node_pids[$1]=$!
  pids+=($!)
}
await_ready() { # index
  for _ in $(seq 1 240); do
    curl -fs "http://127.0.0.1:$((base + $1))/q/health/ready" > /dev/null 2>&1 && return 0
    sleep 0.25
  done
  echo "node-$1 not ready after 60 s; see $work/node-$1.log"
  return 1
}
for i in 0 1 2; do start_node "$i"; done
for i in 0 1 2; do await_ready "$i"; done

{
  printf 'defaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n'
  printf '  timeout tunnel 1h\n  retries 3\n  option redispatch\n'
  printf 'frontend lobbyhub\n  bind 127.0.0.1:%s\n  maxconn 20000\n  default_backend nodes\n' "$balancer_port"
  printf 'backend nodes\n  balance roundrobin\n  option httpchk GET /q/health/ready\n'
  printf '  http-check expect status 200\n  default-server inter 500ms fall 1 rise 2 maxconn 20000\n'
  for i in 0 1 2; do printf '  server node-%s 127.0.0.1:%s check\n' "$i" "$((base + i))"; done
} > "$work/haproxy.cfg"
haproxy -db -f "$work/haproxy.cfg" > "$work/haproxy.log" 2>&1 &
pids+=($!)

java -Xmx2g -cp "$bench" dev.lobbyhub.bench.RollingRestartScenario --port "$balancer_port" --secret "$secret" \
  --ready-file "$work/ready" --done-file "$work/done" "$@" &
scenario=$!
while ! [ -f "$work/ready" ]; do
  kill -0 "$scenario" 2>/dev/null || { wait "$scenario"; exit $?; }
  sleep 0.5
done

started=$(date +%s.%N)
for i in 0 1 2; do
  t0=$(date +%s.%N)
  kill -TERM "${node_pids[$i]}"
  wait "${node_pids[$i]}" || true
  t1=$(date +%s.%N)
  start_node "$i"
  await_ready "$i"
  t2=$(date +%s.%N)
  awk -v n="$i" -v a="$t0" -v b="$t1" -v c="$t2" \
    'BEGIN { printf "node-%s: stopped %.1f s after SIGTERM, ready again %.1f s later\n", n, b - a, c - b }'
done
awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "rolling restart of three nodes: %.1f s\n", b - a }'
touch "$work/done"
wait "$scenario"
