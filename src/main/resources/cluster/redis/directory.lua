-- directory: the lobby directory and reservations (SPEC §13), each call one atomic step over the
-- indexes of lib.lua (lpublic, lopen and their per-token kin, lptok, lres, ures, resv, lkeep).
-- ARGV: pub, op, then by op:
--   list    after ("" = from the first), limit, scan (most lobbies looked at), query (JSON)
--   quick   user, ttl_ms, query (JSON), new lobby (JSON; "" = make none)
--   reserve lobby, ttl_ms, user ids...
--   create  ttl_ms, new lobby (JSON)
--   cancel  user
-- query: {"m": {key: [accepted tokens]}, "space": bool, "only": [codes] (absent: any lobby)}
-- new lobby: {"code", "owner" (absent: none), "vis", "max", "props" (JSON text), "tok": {key: token}}
-- Replies:
--   list    {{{code, member_count, max, owner, locked, props}, ...}, next_cursor | false}
--   quick   {"placed", lobby, created (0|1), reserved_ms (0: the user holds a seat there)} | {"no_lobby"} | {"code_taken"}
--   reserve {"ok"} | {"no_lobby"} | {"lobby_full"} | {"forbidden"}
--   create  {"ok", state (lib.lua state_reply)} | {"code_taken"}
--   cancel  {"ok", 1 | 0}
local pub, op = ARGV[1], ARGV[2]
if not check_pub(pub) then return redis.error_reply('ERR lobbyhub: pub must be PUBLISH, SPUBLISH or NONE') end

-- Whether the lobby's property tokens hold one accepted token for every key of m.
local function matches(lobby, m)
  if not m or next(m) == nil then return true end
  local tk = B .. 'lptok:' .. lobby
  for key, accepted in pairs(m) do
    local t = redis.call('HGET', tk, key)
    if not t then return false end
    local ok = false
    for _, a in ipairs(accepted) do
      if a == t then ok = true; break end
    end
    if not ok then return false end
  end
  return true
end

-- A lobby quick join may reserve in: public, unlocked, a free seat (lopen), matching, user not kicked.
local function fits(lobby, q, user)
  return redis.call('ZSCORE', B .. 'lopen', lobby) and matches(lobby, q.m)
      and redis.call('SISMEMBER', B .. 'lkicked:' .. lobby, user) == 0
end

-- The smallest index that holds every lobby the query can match: the lobbies of one of its
-- single-token keys (kind lpubp or lopenp), else all of them (lpublic or lopen).
local function narrowest(kind, all, m)
  local best, best_n = B .. all, nil
  for key, accepted in pairs(m or {}) do
    if #accepted == 1 then
      local k = token_index(kind, key, accepted[1])
      local n = redis.call('ZCARD', k)
      if not best_n or n < best_n then best, best_n = k, n end
    end
  end
  return best
end

-- Makes the lobby of n (see above); false when its code is in use.
local function make_lobby(n)
  local code = n.code
  if redis.call('EXISTS', B .. 'lstate:' .. code) == 1 or redis.call('HLEN', B .. 'lobby:' .. code) > 0 then
    return false
  end
  redis.call('HSET', B .. 'lstate:' .. code, 'owner', n.owner or '', 'locked', 0, 'vis', n.vis, 'max', n.max,
             'props', n.props, 'ver', 0)
  local flat = {}
  for key, token in pairs(n.tok or {}) do
    flat[#flat + 1] = key
    flat[#flat + 1] = token
  end
  if #flat > 0 then redis.call('HSET', B .. 'lptok:' .. code, unpack(flat)) end
  return true
end

if op == 'list' then
  local after, limit, scan, q = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), cjson.decode(ARGV[6])
  local codes
  if q.only then
    codes = {}
    for _, code in ipairs(q.only) do
      if code > after and redis.call('ZSCORE', B .. 'lpublic', code) then codes[#codes + 1] = code end
    end
    table.sort(codes)
  else
    local from = '-'
    if after ~= '' then from = '(' .. after end
    codes = redis.call('ZRANGEBYLEX', narrowest('lpubp', 'lpublic', q.m), from, '+', 'LIMIT', 0, scan)
  end
  local rows, looked = {}, 0
  for _, code in ipairs(codes) do
    looked = looked + 1
    if looked > scan then
      return { rows, codes[looked - 1] }
    end
    if (not q.space or redis.call('ZSCORE', B .. 'lopen', code)) and matches(code, q.m) then
      if #rows == limit then return { rows, rows[#rows][1] } end
      local s = redis.call('HMGET', B .. 'lstate:' .. code, 'owner', 'locked', 'max', 'props')
      local owner = s[1]
      if owner == '' then owner = false end
      rows[#rows + 1] = { code, redis.call('HLEN', B .. 'lobby:' .. code), tonumber(s[3]) or 0, owner,
                          tonumber(s[2]) or 0, s[4] or '{}' }
    end
  end
  -- Looked at a whole scan's worth without filling the page: the next page goes on from there.
  if not q.only and #codes == scan then return { rows, codes[#codes] } end
  return { rows, false }
end

if op == 'quick' then
  local user, ttl, q = ARGV[3], tonumber(ARGV[4]), cjson.decode(ARGV[5])
  local now = now_ms()
  -- A seat already (connected or away): that lobby.
  local cid = redis.call('GET', B .. 'user:' .. user)
  if cid then
    local lobby = redis.call('HGET', B .. 'conn:' .. cid, 'lobby')
    if lobby then return { 'placed', lobby, 0, 0 } end
  end
  -- A reservation already: the same one, with what is left of it.
  local reserved = redis.call('GET', B .. 'ures:' .. user)
  if reserved then
    local dl = tonumber(redis.call('ZSCORE', B .. 'resv', user)) or now
    return { 'placed', reserved, 0, math.max(1, dl - now) }
  end
  local best
  if q.only then
    local best_free
    for _, code in ipairs(q.only) do
      if fits(code, q, user) then
        local free = tonumber(redis.call('ZSCORE', B .. 'lopen', code))
        if not best or free < best_free or (free == best_free and code < best) then best, best_free = code, free end
      end
    end
  else
    -- Fullest first: the open indexes are ordered by free seats.
    local index = narrowest('lopenp', 'lopen', q.m)
    local offset = 0
    while not best do
      local page = redis.call('ZRANGEBYSCORE', index, 1, '+inf', 'LIMIT', offset, 256)
      for _, code in ipairs(page) do
        if fits(code, q, user) then best = code; break end
      end
      if #page < 256 then break end
      offset = offset + 256
    end
  end
  if best then
    reserve_seat(pub, best, user, now + ttl)
    return { 'placed', best, 0, ttl }
  end
  if ARGV[6] == '' then return { 'no_lobby' } end
  local n = cjson.decode(ARGV[6])
  n.owner = user
  if not make_lobby(n) then return { 'code_taken' } end
  reserve_seat(pub, n.code, user, now + ttl)
  return { 'placed', n.code, 1, ttl }
end

if op == 'reserve' then
  local lobby, ttl = ARGV[3], tonumber(ARGV[4])
  local s = redis.call('HMGET', B .. 'lstate:' .. lobby, 'max')
  if not s[1] then return { 'no_lobby' } end
  local lk, rk = B .. 'lobby:' .. lobby, B .. 'lres:' .. lobby
  local need = 0
  for i = 5, #ARGV do
    local user = ARGV[i]
    if redis.call('SISMEMBER', B .. 'lkicked:' .. lobby, user) == 1 then return { 'forbidden' } end
    if redis.call('HEXISTS', lk, user) == 0 and redis.call('HEXISTS', rk, user) == 0 then need = need + 1 end
  end
  if need > tonumber(s[1]) - seat_count(lobby) then return { 'lobby_full' } end
  local now = now_ms()
  for i = 5, #ARGV do
    if redis.call('HEXISTS', lk, ARGV[i]) == 0 then reserve_seat(pub, lobby, ARGV[i], now + ttl) end
  end
  return { 'ok' }
end

if op == 'create' then
  local ttl, n = tonumber(ARGV[3]), cjson.decode(ARGV[4])
  if not make_lobby(n) then return { 'code_taken' } end
  local now = now_ms()
  if n.owner then
    reserve_seat(pub, n.code, n.owner, now + ttl)
  else
    redis.call('ZADD', B .. 'lkeep', now + ttl, n.code)
    index_lobby(n.code)
  end
  return { 'ok', state_reply(n.code) }
end

if op == 'cancel' then
  if end_reservation(pub, ARGV[3]) then return { 'ok', 1 } end
  return { 'ok', 0 }
end

return redis.error_reply('ERR lobbyhub: op must be list, quick, reserve, create or cancel')
