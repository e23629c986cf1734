#!/usr/bin/env bash
# Quick join and the lobby directory (SPEC §13): QuickJoinScenario against one packaged node, then
# against two nodes in cluster mode sharing one redis-server (each quick join one script call). First
# 10,000 public lobbies are made (reservations last 30 min here, so they stay), then quick joins at a
# ladder of rates and filtered listings; server CPU counts the nodes and Redis.
# Usage: bench/run-quickjoin.sh [scenario options, e.g. --rates 500,1000 --lobbies 10000]
exec "$(dirname "$0")/one-and-two-nodes.sh" QuickJoinScenario quickjoin 18400 "LOBBYHUB_USERS_RESERVATION_TTL=30m" yes "$@"
