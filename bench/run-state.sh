#!/usr/bin/env bash
# Lobby state updates (SPEC §12) per node: LobbyStateScenario against one packaged node, then against
# two nodes in cluster mode sharing one redis-server (each update one script call, its members on
# both nodes); server CPU counts the nodes.
# Usage: bench/run-state.sh [scenario options, e.g. --rates 500,1000,2000 --connections 2000]
exec "$(dirname "$0")/one-and-two-nodes.sh" LobbyStateScenario state 18300 "" no "$@"
