-- user_seat (read only): where a user is, for GET /api/v1/users/{id} and for routing a kick,
-- ping or direct message to the right node.
-- ARGV: user
-- Reply: {} when not seated, else {conn, lobby, node, connected_at, name|nil, rtt_ms|nil, away_until|nil}
--   away_until: the user is away, its seat held until then (Redis time, epoch ms; SPEC §10)
local cid = redis.call('GET', B .. 'user:' .. ARGV[1])
if not cid then return {} end
local f = redis.call('HMGET', B .. 'conn:' .. cid, 'lobby', 'node', 'connected_at', 'name', 'rtt_ms', 'away')
if not f[1] then return {} end
local until_ms = f[6] and tonumber(redis.call('ZSCORE', B .. 'holds', cid)) or false
return { cid, f[1], f[2], tonumber(f[3]), f[4], tonumber(f[5]) or false, until_ms }
