-- cluster_stats (read only): figures for GET /api/v1/stats and lobbyhub_cluster_nodes.
-- ARGV: none
-- Reply: {now, active_lobbies, {{node, connections, max_connections, last_seen_ms, deadline, alive, restoring}, ...}}
--   restoring = 1 while the node is still putting its members back (registered with restoring = 1)
--   alive = 1 while now <= deadline; sum connections and max_connections over alive rows.
local now = now_ms()
local rows = {}
local nodes = redis.call('ZRANGE', B .. 'nodes', 0, -1, 'WITHSCORES')
for i = 1, #nodes, 2 do
  local n, dl = nodes[i], tonumber(nodes[i + 1])
  local h = redis.call('HMGET', B .. 'node:' .. n, 'seen', 'max_connections', 'restoring')
  rows[#rows + 1] = { n, redis.call('SCARD', B .. 'nconns:' .. n), tonumber(h[2]) or 0,
                      now - (tonumber(h[1]) or now), dl, (dl >= now) and 1 or 0, h[3] and 1 or 0 }
end
return { now, redis.call('ZCARD', B .. 'lobbies'), rows }
