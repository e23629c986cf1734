#!/usr/bin/env bash
# Starts a local lobbyhub cluster: one redis-server and two nodes (8080 and 8081) built with the dev
# profile (dev signing secret, /dev/token, demo page, admin key dev-admin-key), and, when haproxy is
# installed, a load balancer in front of them on 8000 (round robin, health-checking /q/health/ready,
# as a Kubernetes Service would). Open http://localhost:8000/ in two tabs, same lobby: one lobby,
# two nodes. Kill the node of one tab (see the admin API, or the node logs): that player comes back
# to its seat through the balancer. Without haproxy, open http://localhost:8080/ and :8081/.
# Everything listens on 127.0.0.1 only, as ./mvnw quarkus:dev listens on localhost: the dev tokens and the fixed
# admin key must not be reachable from other machines.
# Ctrl-C stops everything. Needs redis-server (Debian/Ubuntu: sudo apt-get install redis-server); the
# balancer needs haproxy (sudo apt-get install haproxy).
set -euo pipefail
cd "$(dirname "$0")/.."

REDIS_PORT="${REDIS_PORT:-6379}"
BALANCER_PORT="${BALANCER_PORT:-8000}"
PORTS=(${PORTS:-8080 8081})
REDIS_SERVER="$(command -v redis-server || true)"
if [[ -z "$REDIS_SERVER" ]]; then
  echo "redis-server not found: install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)" >&2
  exit 1
fi

echo "building the dev-profile jar (target/local-cluster/) ..."
./mvnw -B -ntp -q package -DskipTests -Dquarkus.profile=dev -Dquarkus.package.output-directory=local-cluster

logs="target/local-cluster-logs"
mkdir -p "$logs"
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

"$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  > "$logs/redis.log" 2>&1 &
pids+=($!)

for i in "${!PORTS[@]}"; do
  port="${PORTS[$i]}"
  HOSTNAME="local-$port" QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$port" \
    LOBBYHUB_CLUSTER_ENABLED=true QUARKUS_REDIS_HOSTS="redis://127.0.0.1:$REDIS_PORT" \
    java -Dquarkus.profile=dev -jar target/local-cluster/quarkus-run.jar > "$logs/node-$port.log" 2>&1 &
  pids+=($!)
done

for port in "${PORTS[@]}"; do
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$port/q/health/ready" > /dev/null 2>&1 && break
    sleep 0.5
  done
  if curl -fs "http://127.0.0.1:$port/q/health/ready" > /dev/null 2>&1; then
    echo "node ready: http://localhost:$port/   (log: $logs/node-$port.log)"
  else
    echo "node on $port did not become ready; see $logs/node-$port.log" >&2
    exit 1
  fi
done
HAPROXY="$(command -v haproxy || true)"
if [[ -n "$HAPROXY" ]]; then
  # The same configuration as the tests' Balancer: a node that is gone is skipped within a second,
  # and a connection it refuses meanwhile is tried on another.
  {
    printf 'defaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n'
    printf '  timeout tunnel 1h\n  retries 3\n  option redispatch\n'
    printf 'frontend lobbyhub\n  bind 127.0.0.1:%s\n  default_backend nodes\n' "$BALANCER_PORT"
    printf 'backend nodes\n  balance roundrobin\n  option httpchk GET /q/health/ready\n'
    printf '  http-check expect status 200\n  default-server inter 500ms fall 1 rise 2\n'
    for port in "${PORTS[@]}"; do printf '  server node-%s 127.0.0.1:%s check\n' "$port" "$port"; done
  } > "$logs/haproxy.cfg"
  "$HAPROXY" -db -f "$logs/haproxy.cfg" > "$logs/haproxy.log" 2>&1 &
  pids+=($!)
  echo "load balancer: http://localhost:$BALANCER_PORT/   (haproxy; log: $logs/haproxy.log)"
else
  echo "no haproxy: open the nodes directly (install haproxy for a load balancer in front of them)"
fi
echo "Redis on 127.0.0.1:$REDIS_PORT. Cluster stats: curl -H 'Authorization: Bearer dev-admin-key' http://localhost:${PORTS[0]}/api/v1/stats"
echo "Ctrl-C stops the cluster."
wait
