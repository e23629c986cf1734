-- lobby_members (read only): members of one lobby for GET /api/v1/lobbies/{code}.
-- ARGV: lobby
-- Reply: {offset, {{user, conn, node, connected_at, name|nil, rtt_ms|nil}, ...}, epoch}
--   offset = the lobby log's last entry (0 and no rows: nobody in it -> 404); epoch = the log's
local lobby = ARGV[1]
local lk = B .. 'lobby:' .. lobby
local flat = redis.call('HGETALL', lk)
local rows = {}
for i = 1, #flat, 2 do
  local f = redis.call('HMGET', B .. 'conn:' .. flat[i + 1], 'node', 'connected_at', 'name', 'rtt_ms')
  rows[#rows + 1] = { flat[i], flat[i + 1], f[1], tonumber(f[2]) or false, f[3], tonumber(f[4]) or false }
end
local offset, epoch = log_position(lobby)
return { offset, rows, epoch }
