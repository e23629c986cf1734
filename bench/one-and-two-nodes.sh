#!/usr/bin/env bash
# Runs one scenario against one packaged node, then against two nodes in cluster mode sharing one
# redis-server. Each server is pinned to core 0 (Redis too, in cluster mode: the nodes and Redis
# share it, as the cluster benchmark does), the load generator to core 1. The RESULT lines go to
# stdout; the servers' logs stay in the printed work directory.
# Usage (from a wrapper such as bench/run-state.sh):
#   bench/one-and-two-nodes.sh <scenario class> <name> <base port> <node env "K=V K=V" or ""> \
#       <count Redis CPU: yes|no> [scenario options...]
# Ports: the single node on base; cluster nodes on base+1, base+2; Redis on base+3 (PORT overrides base).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario_class=$1 name=$2 default_base=$3 node_env=$4 redis_cpu=$5
shift 5
base=${PORT:-$default_base}
secret=bench-secret-bench-secret-bench-secret
jar=target/quarkus-app/quarkus-run.jar
bench=bench/target/lobbyhub-bench.jar
[ -f "$jar" ] || ./mvnw -B -ntp -q package -DskipTests
./mvnw -B -ntp -q -f bench/pom.xml package
for port in $(seq "$base" $((base + 3))); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use: stop it or choose another PORT"
    exit 1
  fi
done
work=$(mktemp -d -t "lobbyhub-$name.XXXXXX")
echo "work directory (server logs): $work"

pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}
trap stop_all EXIT

read -r -a extra_env <<< "$node_env"
start_node() { # port name [env...]
  local port=$1 node=$2
  shift 2
  env LOBBYHUB_AUTH_JWT_SECRET=$secret LOBBYHUB_LIMITS_MAX_CONNECTIONS=20000 LOBBYHUB_LIMITS_MAX_PER_LOBBY=10 \
    LOBBYHUB_LIMITS_HANDSHAKES_PER_SECOND=100000 LOBBYHUB_LIMITS_HANDSHAKE_BURST=100000 HOSTNAME="$node" \
    QUARKUS_HTTP_PORT="$port" QUARKUS_LOG_CATEGORY__DEV_LOBBYHUB_REGISTRY__LEVEL=WARN "${extra_env[@]}" "$@" \
    taskset -c 0 java -jar "$jar" >> "$work/$node.log" 2>&1 &
  last_pid=$!
  pids+=("$last_pid")
}
await_ready() { # port
  for _ in $(seq 1 240); do
    curl -fs "http://127.0.0.1:$1/q/health/ready" > /dev/null 2>&1 && return 0
    sleep 0.25
  done
  echo "the node on port $1 is not ready after 60 s; see $work"
  return 1
}
scenario() { # label port pid [options...]
  local label=$1 port=$2 pid=$3
  shift 3
  taskset -c 1 java -Xmx2g -cp "$bench" "dev.lobbyhub.bench.$scenario_class" --label "$label" --port "$port" \
    --pid "$pid" --secret "$secret" "$@"
}

start_node "$base" single
await_ready "$base"
scenario lobbyhub "$base" "$last_pid" "$@"
stop_all

taskset -c 0 redis-server --port $((base + 3)) --bind 127.0.0.1 --save '' --appendonly no > "$work/redis.log" 2>&1 &
pids+=($!)
redis_pid=$!
cluster_env=(LOBBYHUB_CLUSTER_ENABLED=true QUARKUS_REDIS_HOSTS="redis://127.0.0.1:$((base + 3))")
start_node $((base + 1)) node-a "${cluster_env[@]}"
pid_a=$last_pid
start_node $((base + 2)) node-b "${cluster_env[@]}"
pid_b=$last_pid
await_ready $((base + 1))
await_ready $((base + 2))
server_pids="$pid_a,$pid_b"
[ "$redis_cpu" = yes ] && server_pids="$server_pids,$redis_pid"
scenario lobbyhub-cluster $((base + 1)) "$pid_a" --ports $((base + 1)),$((base + 2)) --pids "$server_pids" "$@"
