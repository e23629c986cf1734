-- lobby_members (read only): members of one lobby for GET /api/v1/lobbies/{code}.
-- ARGV: lobby
-- Reply: {offset, {{user, conn, node, connected_at, name|nil, rtt_ms|nil, away_until|nil, away_reason|nil}, ...}, epoch,
--   state}
--   offset = the lobby log's last entry (0 and no rows: nobody in it -> 404); epoch = the log's;
--   away_until = when an away member's held seat ends (Redis time, epoch ms; SPEC §10), away_reason why
--   it is away (what its lobby hears when the hold ends); state = the lobby's (lib.lua state_reply; SPEC §12), nil when
--   it has none
local lobby = ARGV[1]
local lk = B .. 'lobby:' .. lobby
local flat = redis.call('HGETALL', lk)
local rows = {}
for i = 1, #flat, 2 do
  local cid = flat[i + 1]
  local f = redis.call('HMGET', B .. 'conn:' .. cid, 'node', 'connected_at', 'name', 'rtt_ms', 'away')
  local until_ms = f[5] and tonumber(redis.call('ZSCORE', B .. 'holds', cid)) or false
  rows[#rows + 1] = { flat[i], cid, f[1], tonumber(f[2]) or false, f[3], tonumber(f[4]) or false, until_ms,
                      f[5] or false }
end
local offset, epoch = log_position(lobby)
return { offset, rows, epoch, state_reply(lobby) }
