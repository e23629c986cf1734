-- lobby_state: reads or changes a lobby's state (SPEC §12) in one step, with the log entry that
-- tells its members (lib.lua: state_*), so every node delivers it in the lobby's one order.
-- ARGV: pub, op, lobby, then by op:
--   update  by ("" = the game backend), locked ("" | 0 | 1), vis ("" | public | private),
--           max ("" | n), props ("" = unchanged | JSON object text), expected_version ("" | n),
--           then the new properties' matchable tokens: key, token, ... (SPEC §13)
--   member  user, props (JSON object text; {} = none)
--   kick    by, user   (the user's seat, connected, held or reserved, is freed as kicked; the user stays out)
--   owner   user (holding a seat there: connected, held or reserved)
--   get
-- Reply: {"ok", state} (state as lib.lua state_reply; false when the lobby has no seat left)
--   | {"no_lobby"} | {"not_owner"} | {"version_conflict"} | {"not_member"}
local pub, op, lobby = ARGV[1], ARGV[2], ARGV[3]
if not check_pub(pub) then return redis.error_reply('ERR lobbyhub: pub must be PUBLISH, SPUBLISH or NONE') end
if not lobby or lobby == '' then return redis.error_reply('ERR lobbyhub: bad lobby_state arguments') end
local sk = B .. 'lstate:' .. lobby
local lk = B .. 'lobby:' .. lobby

if op == 'get' then
  return { 'ok', state_reply(lobby) }
end

if op == 'update' then
  local by, locked, vis, max, props, expected = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
  local f = redis.call('HMGET', sk, 'owner', 'ver')
  if not f[1] then
    if by == '' then return { 'no_lobby' } end
    return { 'not_owner' }
  end
  if by ~= '' and f[1] ~= by then return { 'not_owner' } end
  if expected ~= '' and tonumber(expected) ~= tonumber(f[2]) then return { 'version_conflict' } end
  if locked ~= '' then redis.call('HSET', sk, 'locked', locked) end
  if vis ~= '' then redis.call('HSET', sk, 'vis', vis) end
  if max ~= '' then redis.call('HSET', sk, 'max', max) end
  if props ~= '' then
    redis.call('HSET', sk, 'props', props)
    local tk = B .. 'lptok:' .. lobby
    unindex_lobby(lobby) -- out of the old tokens' indexes; index_lobby below puts it back under the new
    redis.call('DEL', tk)
    if #ARGV >= 11 then redis.call('HSET', tk, unpack(ARGV, 10)) end
  end
  local version = redis.call('HINCRBY', sk, 'ver', 1)
  index_lobby(lobby)
  local s = redis.call('HMGET', sk, 'locked', 'vis', 'max', 'props')
  local byv = cjson.null
  if by ~= '' then byv = by end
  state_entry(pub, lobby, { ev = 'lobby', v = version, l = s[1] == '1', vis = s[2], max = tonumber(s[3]), by = byv },
              s[4])
  return { 'ok', state_reply(lobby) }
end

if op == 'member' then
  local user, props = ARGV[4], ARGV[5]
  if not redis.call('HGET', lk, user) or redis.call('EXISTS', sk) == 0 then return { 'not_member' } end
  if props == '{}' then
    redis.call('HDEL', B .. 'lmprops:' .. lobby, user)
  else
    redis.call('HSET', B .. 'lmprops:' .. lobby, user, props)
  end
  state_entry(pub, lobby, { ev = 'mprops', user = user }, props)
  return { 'ok', state_reply(lobby) }
end

if op == 'kick' then
  local by, user = ARGV[4], ARGV[5]
  if redis.call('HGET', sk, 'owner') ~= by then return { 'not_owner' } end
  local cid = redis.call('HGET', lk, user)
  local reserved = redis.call('HEXISTS', B .. 'lres:' .. lobby, user) == 1
  if not cid and not reserved then return { 'not_member' } end
  redis.call('SADD', B .. 'lkicked:' .. lobby, user)
  if cid then
    remove_seat(pub, cid, 'kicked')
  else
    end_reservation(pub, user)
    -- Never in presence, but SPEC §12 has every member hear the kick.
    if redis.call('HLEN', lk) > 0 then state_entry(pub, lobby, { ev = 'unreserved', user = user, reason = 'kicked' }, nil) end
  end
  return { 'ok', state_reply(lobby) }
end

if op == 'owner' then
  local user = ARGV[4]
  if redis.call('EXISTS', sk) == 0 then return { 'no_lobby' } end
  if not redis.call('HGET', lk, user) and redis.call('HEXISTS', B .. 'lres:' .. lobby, user) == 0 then
    return { 'not_member' }
  end
  set_owner(pub, lobby, user)
  return { 'ok', state_reply(lobby) }
end

return redis.error_reply('ERR lobbyhub: op must be update, member, kick, owner or get')
