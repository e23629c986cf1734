#!/usr/bin/env bash
# Runs the seat-store scenarios against a private redis-server (started here, stopped by PID).
# Usage: ./test-scripts.sh [port]   (default: first free port from 6391)
set -u
cd "$(dirname "$0")"
port="${1:-}"
if [ -z "$port" ]; then
  for p in $(seq 6391 6490); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
  done
fi
log=$(mktemp)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') pid $pid on 127.0.0.1:$port"
REDIS_PORT="$port" python3 tests/test_scripts.py
