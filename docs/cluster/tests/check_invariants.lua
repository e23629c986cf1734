-- Test-only (uses KEYS): cross-checks the four seat indexes and the lobby logs. Sent after lib.lua.
-- ARGV: max_per_lobby. Reply: list of violations (empty = consistent).
local bad = {}
local function v(msg) bad[#bad + 1] = msg end
local pl = #B
local function suffix(k, kind) return string.sub(k, pl + #kind + 1) end
local max = tonumber(ARGV[1]) or 1e9
for _, k in ipairs(redis.call('KEYS', B .. 'conn:*')) do
  local c = suffix(k, 'conn:')
  local f = redis.call('HMGET', k, 'lobby', 'user', 'node', 'connected_at')
  if not (f[1] and f[2] and f[3] and f[4]) then v('conn ' .. c .. ' incomplete') else
    if redis.call('GET', B .. 'user:' .. f[2]) ~= c then v('user ptr of ' .. f[2] .. ' is not ' .. c) end
    if redis.call('HGET', B .. 'lobby:' .. f[1], f[2]) ~= c then v('lobby ' .. f[1] .. ' seat of ' .. f[2] .. ' is not ' .. c) end
    local away = redis.call('HGET', k, 'away')
    if away then
      -- A held seat: off its node, with a deadline, listed as away in its lobby.
      if redis.call('SISMEMBER', B .. 'nconns:' .. f[3], c) == 1 then v('held ' .. c .. ' still in nconns:' .. f[3]) end
      if not redis.call('ZSCORE', B .. 'holds', c) then v('held ' .. c .. ' has no deadline in holds') end
      if redis.call('HGET', B .. 'laway:' .. f[1], f[2]) ~= c then v('held ' .. c .. ' not in laway:' .. f[1]) end
    else
      if redis.call('SISMEMBER', B .. 'nconns:' .. f[3], c) ~= 1 then v(c .. ' missing from nconns:' .. f[3]) end
      if not redis.call('ZSCORE', B .. 'nodes', f[3]) then v(c .. ' on unregistered node ' .. f[3]) end
      if redis.call('ZSCORE', B .. 'holds', c) then v(c .. ' connected but in holds') end
    end
  end
  if redis.call('EXISTS', B .. 'gone:' .. c) == 1 then v(c .. ' both seated and tombstoned') end
end
for _, k in ipairs(redis.call('KEYS', B .. 'user:*')) do
  local u, c = suffix(k, 'user:'), redis.call('GET', k)
  if redis.call('HGET', B .. 'conn:' .. c, 'user') ~= u then v('user ' .. u .. ' -> dangling ' .. c) end
end
for _, k in ipairs(redis.call('KEYS', B .. 'lobby:*')) do
  local l = suffix(k, 'lobby:')
  local flat = redis.call('HGETALL', k)
  if #flat / 2 > max then v('lobby ' .. l .. ' over capacity: ' .. (#flat / 2)) end
  for i = 1, #flat, 2 do
    local f = redis.call('HMGET', B .. 'conn:' .. flat[i + 1], 'lobby', 'user')
    if f[1] ~= l or f[2] ~= flat[i] then v('lobby ' .. l .. ' field ' .. flat[i] .. ' -> dangling ' .. flat[i + 1]) end
  end
  if not redis.call('ZSCORE', B .. 'lobbies', l) then v('lobby ' .. l .. ' not indexed') end
  local pos = redis.call('HMGET', B .. 'llog:' .. l, 'o', 'e')
  if not (pos[1] and pos[2]) then v('lobby ' .. l .. ' has no log position (llog o, e)') end
  if redis.call('PTTL', B .. 'llog:' .. l) ~= -1 then v('log position of seated lobby ' .. l .. ' expires') end
end
for _, l in ipairs(redis.call('ZRANGE', B .. 'lobbies', 0, -1)) do
  if redis.call('EXISTS', B .. 'lobby:' .. l) == 0 then v('index lists empty lobby ' .. l) end
end
for _, k in ipairs(redis.call('KEYS', B .. 'llog:*')) do
  local l = suffix(k, 'llog:')
  if redis.call('EXISTS', B .. 'lobby:' .. l) == 0 and redis.call('PTTL', k) < 0 then
    v('log position of empty lobby ' .. l .. ' never expires')
  end
end
for _, k in ipairs(redis.call('KEYS', B .. 'log:*')) do
  local l = suffix(k, 'log:')
  if redis.call('PTTL', k) < 0 then v('log of ' .. l .. ' never expires') end
  local o = tonumber(redis.call('HGET', B .. 'llog:' .. l, 'o')) or 0
  local top = redis.call('XREVRANGE', k, '+', '-', 'COUNT', 1)[1]
  if top and tonumber(string.match(top[1], '^(%d+)%-')) > o then
    v('log of ' .. l .. ' holds ' .. top[1] .. ', past its offset ' .. o)
  end
end
for _, c in ipairs(redis.call('ZRANGE', B .. 'holds', 0, -1)) do
  if not redis.call('HGET', B .. 'conn:' .. c, 'away') then v('holds lists ' .. c .. ', which is not held') end
end
for _, k in ipairs(redis.call('KEYS', B .. 'laway:*')) do
  local l = suffix(k, 'laway:')
  local flat = redis.call('HGETALL', k)
  for i = 1, #flat, 2 do
    if redis.call('HGET', B .. 'lobby:' .. l, flat[i]) ~= flat[i + 1] then v('laway:' .. l .. ' lists ' .. flat[i] .. ', not seated there') end
  end
end
for _, k in ipairs(redis.call('KEYS', B .. 'nconns:*')) do
  local n = suffix(k, 'nconns:')
  for _, c in ipairs(redis.call('SMEMBERS', k)) do
    if redis.call('HGET', B .. 'conn:' .. c, 'node') ~= n then v('nconns:' .. n .. ' lists ' .. c) end
  end
end
-- Lobby state (SPEC §12): lives exactly while its lobby has a seat (a member or a reservation, or it
-- is kept empty for a game backend, SPEC §13), and its owner holds one there.
for _, k in ipairs(redis.call('KEYS', B .. 'lstate:*')) do
  local l = suffix(k, 'lstate:')
  local owner = redis.call('HGET', k, 'owner')
  local seats = redis.call('HLEN', B .. 'lobby:' .. l) + redis.call('HLEN', B .. 'lres:' .. l)
  local kept = redis.call('ZSCORE', B .. 'lkeep', l)
  if seats == 0 and not kept then v('lstate:' .. l .. ' of a lobby without seats')
  elseif seats > 0 and (not owner or (not redis.call('HGET', B .. 'lobby:' .. l, owner)
      and redis.call('HEXISTS', B .. 'lres:' .. l, owner) == 0)) then v('owner of ' .. l .. ' holds no seat there') end
  -- The directory's indexes (SPEC §13) say what the state says.
  local s = redis.call('HMGET', k, 'vis', 'locked', 'max')
  local public = redis.call('ZSCORE', B .. 'lpublic', l) ~= false
  if public ~= (s[1] == 'public') then v('lpublic and the visibility of ' .. l .. ' disagree') end
  local free = tonumber(s[3]) - seats
  local open = redis.call('ZSCORE', B .. 'lopen', l)
  if s[1] == 'public' and s[2] ~= '1' and free > 0 then
    if tonumber(open) ~= free then v('lopen scores ' .. l .. ' ' .. tostring(open) .. ', its free seats are ' .. free) end
  elseif open then v('lopen lists ' .. l .. ', which is private, locked or full') end
  local flat = redis.call('HGETALL', B .. 'lptok:' .. l)
  for i = 1, #flat, 2 do
    local pub = B .. 'lpubp:' .. #flat[i] .. ':' .. flat[i] .. flat[i + 1]
    local opn = B .. 'lopenp:' .. #flat[i] .. ':' .. flat[i] .. flat[i + 1]
    if (redis.call('ZSCORE', pub, l) ~= false) ~= public then v(pub .. ' and the visibility of ' .. l .. ' disagree') end
    if tostring(redis.call('ZSCORE', opn, l)) ~= tostring(open) then v(opn .. ' and lopen disagree on ' .. l) end
  end
  for _, u in ipairs(redis.call('HKEYS', B .. 'lmprops:' .. l)) do
    if not redis.call('HGET', B .. 'lobby:' .. l, u) then v('lmprops:' .. l .. ' of ' .. u .. ', not seated there') end
  end
end
for _, k in ipairs(redis.call('KEYS', B .. 'lkicked:*')) do
  if redis.call('EXISTS', B .. 'lstate:' .. suffix(k, 'lkicked:')) == 0 then v(k .. ' without a state') end
end
local indexes = { B .. 'lpublic', B .. 'lopen' }
for _, k in ipairs(redis.call('KEYS', B .. 'lpubp:*')) do indexes[#indexes + 1] = k end
for _, k in ipairs(redis.call('KEYS', B .. 'lopenp:*')) do indexes[#indexes + 1] = k end
for _, idx in ipairs(indexes) do
  for _, l in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
    if redis.call('EXISTS', B .. 'lstate:' .. l) == 0 then v(idx .. ' lists ' .. l .. ', which has no state') end
    local tokens = redis.call('HGETALL', B .. 'lptok:' .. l)
    local own = idx == B .. 'lpublic' or idx == B .. 'lopen'
    for i = 1, #tokens, 2 do
      local suffix_ = #tokens[i] .. ':' .. tokens[i] .. tokens[i + 1]
      if idx == B .. 'lpubp:' .. suffix_ or idx == B .. 'lopenp:' .. suffix_ then own = true end
    end
    if not own then v(idx .. ' lists ' .. l .. ', which has no such property') end
  end
end
-- Reservations: one per user, listed in all three places, never for a user seated in that lobby.
for _, u in ipairs(redis.call('ZRANGE', B .. 'resv', 0, -1)) do
  local l = redis.call('GET', B .. 'ures:' .. u)
  if not l or redis.call('HEXISTS', B .. 'lres:' .. l, u) == 0 then v('resv lists ' .. u .. ' without its reservation') end
  if l and redis.call('HGET', B .. 'lobby:' .. l, u) then v(u .. ' is reserved in ' .. l .. ' and seated there') end
end
for _, k in ipairs(redis.call('KEYS', B .. 'lres:*')) do
  local l = suffix(k, 'lres:')
  for _, u in ipairs(redis.call('HKEYS', k)) do
    if redis.call('GET', B .. 'ures:' .. u) ~= l then v('lres:' .. l .. ' lists ' .. u .. ', whose reservation is elsewhere') end
  end
end
return bad
