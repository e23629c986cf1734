-- lobbyhub seat store: shared prelude. The loader sends lib.lua .. "\n" .. <op>.lua as ONE script
-- (EVALSHA of that text; on NOSCRIPT, EVAL it). Redis 6.2+, no shebang (6.2 has none).
--
-- KEYS[1] = B, the key base "<prefix>:{<prefix>}:" (e.g. "lobbyhub:{lobbyhub}:"). It is declared
-- so a cluster client routes the call to the slot of {<prefix>}; the script never reads it as a
-- key. Every key and channel below is B .. something, so all of them share that one slot.
local B = KEYS[1]
if not B or string.sub(B, -1) ~= ':' or not string.find(B, '{', 1, true) then
  return redis.error_reply('ERR lobbyhub: KEYS[1] must be the key base "<prefix>:{<prefix>}:"')
end

-- How long a freed connection id stays remembered (gone:<conn>), so a claim that reaches Redis
-- after its connection was already released is refused instead of leaking a seat. A claim later
-- than this (a connection held up for over a minute) is caught by its node's stray check instead,
-- which frees any seat of its own without a connection. Bounded so that churn does not grow memory.
local TOMBSTONE_MS = 60000
-- How long a reaped node id stays remembered (so renew can answer "reaped", not "unknown").
local REAPED_MS = 3600000

-- Live nodes run a script at least once a second (their tick). When no script ran for longer than
-- PAUSE_MS, nobody saw that time pass (Redis was frozen, or unreachable from every node): each
-- deadline moves by the whole unseen time, so nobody is reaped for a pause and every node has its
-- usual margin to renew once it reaches Redis again. (A dead node's reaping is put off likewise,
-- by each such gap.)
local PAUSE_MS = 2000

-- Redis's clock, the only one the scripts use; also keeps B.."clock", the last time a script ran.
-- Redis's clock alone, for a call that moves no deadline.
local function time_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function now_ms()
  local now = time_ms()
  local ck = B .. 'clock'
  local last = tonumber(redis.call('GET', ck))
  if last and now - last > PAUSE_MS then
    local unseen = now - last
    local nk = B .. 'nodes'
    local flat = redis.call('ZRANGE', nk, 0, -1, 'WITHSCORES')
    for i = 1, #flat, 2 do
      redis.call('ZADD', nk, tonumber(flat[i + 1]) + unseen, flat[i])
    end
    -- Held seats, reservations and lobbies kept empty likewise: nobody saw their time pass either.
    for _, k in ipairs({ B .. 'holds', B .. 'resv', B .. 'lkeep' }) do
      flat = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
      for i = 1, #flat, 2 do
        redis.call('ZADD', k, tonumber(flat[i + 1]) + unseen, flat[i])
      end
    end
  end
  if not last or now > last then redis.call('SET', ck, now) end
  return now
end

local function check_pub(pub)
  if pub ~= 'PUBLISH' and pub ~= 'SPUBLISH' and pub ~= 'NONE' then
    return false
  end
  return true
end

-- A node is alive while now <= its deadline; it is reapable once deadline < now.
local function node_alive(node, now)
  local dl = redis.call('ZSCORE', B .. 'nodes', node)
  return dl ~= false and tonumber(dl) >= now
end

-- The lobby log (SPEC §11). B.."llog:"..lobby is a hash: o = the lobby's last offset, e = its
-- epoch (made with the hash: when Redis lost it, offsets start again in a new epoch). It is kept
-- while the lobby has a seat and expires history-ttl after its last seat went. B.."log:"..lobby is
-- a stream of the entries: id <offset>-0, fields m (the entry as JSON: what it is, who it is for)
-- and f (a message's frame without its offset; "" for a seat change); trimmed to about history-size
-- entries, expiring history-ttl after the last one. A seat change reads size and TTL from
-- B.."logcfg" (size, ttl), written by every node as it registers; append is given its node's own.
-- Size 0: nothing is kept, offsets are still counted.
-- Each entry is published on the lobby's channel as "L" .. m .. "\n" .. f, in offset order.
local function log_settings()
  local c = redis.call('HMGET', B .. 'logcfg', 'size', 'ttl')
  return tonumber(c[1]) or 0, tonumber(c[2]) or 300000
end

-- Appends one entry: a table (encoded with o and e added) or a function(offset, epoch) giving its
-- JSON. epoch is the lobby's when the caller knows it already (an earlier entry of the same call),
-- else it is read, or made with a new log. The stream's expiry is the caller's to set.
-- Returns offset and epoch.
local function log_append(pub, lobby, entry, frame, size, epoch)
  local hk = B .. 'llog:' .. lobby
  if not epoch then
    epoch = redis.call('HGET', hk, 'e')
    if not epoch then
      local t = redis.call('TIME')
      epoch = t[1] .. string.format('%06d', tonumber(t[2]))
      redis.call('HSET', hk, 'e', epoch)
      -- Entries of an earlier epoch (a stream that outlived its hash) are not this log's.
      redis.call('DEL', B .. 'log:' .. lobby)
    end
  end
  local offset = redis.call('HINCRBY', hk, 'o', 1)
  local m
  if type(entry) == 'function' then
    m = entry(offset, epoch)
  else
    entry.o = offset
    entry.e = epoch
    m = cjson.encode(entry)
  end
  if size > 0 then
    redis.call('XADD', B .. 'log:' .. lobby, 'MAXLEN', '~', size, offset .. '-0', 'm', m, 'f', frame or '')
  end
  if pub ~= 'NONE' then
    redis.call(pub, B .. 'ch:lobby:' .. lobby, 'L' .. m .. '\n' .. (frame or ''))
  end
  return offset, epoch
end

-- The lobby's last offset and epoch (0 and false before its first entry).
local function log_position(lobby)
  local f = redis.call('HMGET', B .. 'llog:' .. lobby, 'o', 'e')
  return tonumber(f[1]) or 0, f[2]
end

-- Every seat change goes through here: an entry of the lobby's log (so presence and messages share
-- one order), lobby index upkeep, and the log's lifetime (kept while the lobby has a seat).
-- Entry fields: ev (joined|left|replaced), user, conn, node, count (members after the change), and
-- reason (left) or old_conn/old_node (replaced); o and e are added by log_append.
-- The directory (SPEC §13): B.."lpublic" (score 0, code order) holds the public lobbies;
-- B.."lopen" the public, unlocked ones with a free seat, scored by their free seats (fullest
-- first); B.."lptok:"..lobby the lobby's matchable property tokens (key -> token, made by the
-- node, PropertyMatch). The same two indexes exist per token, so a filter or a quick join reads only
-- the lobbies that match one of its properties instead of scanning: token_index('lpubp', k, t) and
-- token_index('lopenp', k, t). Every change of seats, reservations or settings calls index_lobby.
-- Reservations: B.."lres:"..lobby (user -> deadline), B.."ures:"..user (its lobby, one per user),
-- B.."resv" (user -> deadline; reap ends them silently). B.."lkeep" (lobby -> deadline): a lobby a
-- game backend made without an owner, kept without seats until then.
local function token_index(kind, key, token)
  -- The key's length first, so that no key and token can spell another pair.
  return B .. kind .. ':' .. #key .. ':' .. key .. token
end

-- Removes the lobby from every directory index (before its tokens or its state go).
local function unindex_lobby(lobby)
  if not redis.call('ZSCORE', B .. 'lpublic', lobby) then return end
  redis.call('ZREM', B .. 'lpublic', lobby)
  redis.call('ZREM', B .. 'lopen', lobby)
  local flat = redis.call('HGETALL', B .. 'lptok:' .. lobby)
  for i = 1, #flat, 2 do
    redis.call('ZREM', token_index('lpubp', flat[i], flat[i + 1]), lobby)
    redis.call('ZREM', token_index('lopenp', flat[i], flat[i + 1]), lobby)
  end
end

local function index_lobby(lobby)
  local s = redis.call('HMGET', B .. 'lstate:' .. lobby, 'vis', 'locked', 'max')
  if s[1] ~= 'public' then
    unindex_lobby(lobby)
    return
  end
  redis.call('ZADD', B .. 'lpublic', 0, lobby)
  local free = (tonumber(s[3]) or 0) - redis.call('HLEN', B .. 'lobby:' .. lobby)
      - redis.call('HLEN', B .. 'lres:' .. lobby)
  local open = s[2] ~= '1' and free > 0
  if open then
    redis.call('ZADD', B .. 'lopen', free, lobby)
  else
    redis.call('ZREM', B .. 'lopen', lobby)
  end
  local flat = redis.call('HGETALL', B .. 'lptok:' .. lobby)
  for i = 1, #flat, 2 do
    redis.call('ZADD', token_index('lpubp', flat[i], flat[i + 1]), 0, lobby)
    if open then
      redis.call('ZADD', token_index('lopenp', flat[i], flat[i + 1]), free, lobby)
    else
      redis.call('ZREM', token_index('lopenp', flat[i], flat[i + 1]), lobby)
    end
  end
end

-- Seats a lobby has: members (connected or away) and reservations.
local function seat_count(lobby)
  return redis.call('HLEN', B .. 'lobby:' .. lobby) + redis.call('HLEN', B .. 'lres:' .. lobby)
end

local function seat_changed(pub, lobby, ev)
  local count = redis.call('HLEN', B .. 'lobby:' .. lobby)
  if count > 0 then
    redis.call('ZADD', B .. 'lobbies', 'NX', 0, lobby)
  else
    redis.call('ZREM', B .. 'lobbies', lobby)
  end
  index_lobby(lobby)
  ev.count = count
  local size, ttl = log_settings()
  local offset = log_append(pub, lobby, ev, nil, size)
  if size > 0 then redis.call('PEXPIRE', B .. 'log:' .. lobby, ttl) end
  local hk = B .. 'llog:' .. lobby
  if count > 0 then
    redis.call('PERSIST', hk)
  else
    redis.call('PEXPIRE', hk, ttl)
  end
  return offset
end

-- Writes the four indexes of one seat (conn hash, node set, user pointer, lobby hash).
local function write_seat(lobby, user, cid, node, name, now)
  local ck = B .. 'conn:' .. cid
  redis.call('HSET', ck, 'lobby', lobby, 'user', user, 'node', node, 'connected_at', now)
  if name and name ~= '' then redis.call('HSET', ck, 'name', name) end
  redis.call('SADD', B .. 'nconns:' .. node, cid)
  redis.call('SET', B .. 'user:' .. user, cid)
  redis.call('HSET', B .. 'lobby:' .. lobby, user, cid)
  redis.call('DEL', B .. 'gone:' .. cid)
end

-- Held seats (SPEC §10). A seat whose connection ended for a reason that holds it stays in its
-- lobby (conn hash, user pointer and lobby field kept) with conn field `away` = that reason; it
-- leaves its node's set, B.."holds" (a sorted set) has its deadline (Redis time, ms) and
-- B.."laway:"..lobby lists the lobby's away members (user -> conn). The user's return takes it over
-- (claim: back), another lobby or a kick frees it (member_left), and reap ends it at its deadline
-- with member_left <the reason it was held for>.
local function hold_seat(pub, cid, reason, hold_ms, now)
  local ck = B .. 'conn:' .. cid
  local f = redis.call('HMGET', ck, 'lobby', 'user', 'node', 'away')
  local lobby, user, node = f[1], f[2], f[3]
  if not lobby or f[4] then return nil end
  redis.call('HSET', ck, 'away', reason)
  redis.call('SREM', B .. 'nconns:' .. node, cid)
  redis.call('ZADD', B .. 'holds', now + hold_ms, cid)
  redis.call('HSET', B .. 'laway:' .. lobby, user, cid)
  local seq = seat_changed(pub, lobby, { ev = 'away', user = user, conn = cid, node = node, reason = reason,
                                         hold_ms = hold_ms })
  return { lobby, user, node, seq }
end

-- Forgets that cid's seat is held (the seat itself is the caller's to free or take over).
local function unhold(cid, lobby, user)
  redis.call('ZREM', B .. 'holds', cid)
  local ak = B .. 'laway:' .. lobby
  if redis.call('HGET', ak, user) == cid then redis.call('HDEL', ak, user) end
end

-- The lobby's away members' user ids.
local function away_members(lobby)
  return redis.call('HKEYS', B .. 'laway:' .. lobby)
end

-- Lobby state (SPEC §12), kept while the lobby has a seat. B.."lstate:"..lobby is a hash: owner,
-- locked (0|1), vis (public|private), max (the lobby's capacity), props (its properties as JSON
-- text, kept as written), ver (one more per update). B.."lmprops:"..lobby: user -> that member's
-- properties (JSON text); B.."lkicked:"..lobby: the users its owner kicked out. Each change is an
-- entry of the lobby log: ev owner {user, previous}, lobby {v, l, vis, max, by} with the properties as
-- its frame text, mprops {user} with the member's properties as its frame text.

-- The state of a lobby whose first seat `user` just took: it owns it. True when it was made now.
local function state_open(lobby, user, max)
  local sk = B .. 'lstate:' .. lobby
  if redis.call('EXISTS', sk) == 0 then
    redis.call('HSET', sk, 'owner', user, 'locked', 0, 'vis', 'private', 'max', max, 'props', '{}', 'ver', 0)
    return true
  end
  -- Made by a game backend without an owner: its first member owns it.
  if redis.call('HGET', sk, 'owner') == '' then redis.call('HSET', sk, 'owner', user) end
  redis.call('ZREM', B .. 'lkeep', lobby)
  return false
end

-- The state as replies carry it: {owner, locked, vis, max, props, ver, {user, props, ...}}, or false.
local function state_reply(lobby)
  local f = redis.call('HMGET', B .. 'lstate:' .. lobby, 'owner', 'locked', 'vis', 'max', 'props', 'ver')
  if not f[1] then return false end
  return { f[1], tonumber(f[2]) or 0, f[3], tonumber(f[4]) or 0, f[5], tonumber(f[6]) or 0,
           redis.call('HGETALL', B .. 'lmprops:' .. lobby), redis.call('HLEN', B .. 'lres:' .. lobby) }
end

-- Appends a state change to the lobby's log (the lobby has a seat, so the log is kept).
local function state_entry(pub, lobby, entry, frame)
  local size, ttl = log_settings()
  local offset = log_append(pub, lobby, entry, frame, size)
  if size > 0 then redis.call('PEXPIRE', B .. 'log:' .. lobby, ttl) end
  return offset
end

-- Tells the lobby a state made afresh while it had members already (a node putting back its members
-- after Redis lost its data, or after its seats were reaped): owner_changed with no previous owner,
-- then lobby_updated at version 0 by nobody. Members' properties and kicks were lost with it.
local function state_announce(pub, lobby)
  local s = redis.call('HMGET', B .. 'lstate:' .. lobby, 'owner', 'max')
  state_entry(pub, lobby, { ev = 'owner', user = s[1], previous = cjson.null }, nil)
  state_entry(pub, lobby, { ev = 'lobby', v = 0, l = false, vis = 'private', max = tonumber(s[2]), by = cjson.null }, '{}')
end

-- Hands the lobby to `user` (owner_changed); nothing when it owns it already.
local function set_owner(pub, lobby, user)
  local sk = B .. 'lstate:' .. lobby
  local prev = redis.call('HGET', sk, 'owner')
  if prev == user then return end
  redis.call('HSET', sk, 'owner', user)
  state_entry(pub, lobby, { ev = 'owner', user = user, previous = prev or cjson.null }, nil)
end

-- After user's seat in lobby ended and the lobby heard it: its properties go; the state goes with
-- the last seat; the owner's seat passes to the member seated longest (lowest seat_at; away ones
-- included, as their held seat keeps it).
local function state_seat_ended(pub, lobby, user)
  if seat_count(lobby) == 0 and not redis.call('ZSCORE', B .. 'lkeep', lobby) then
    unindex_lobby(lobby)
    redis.call('DEL', B .. 'lstate:' .. lobby, B .. 'lmprops:' .. lobby, B .. 'lkicked:' .. lobby,
               B .. 'lptok:' .. lobby)
    return
  end
  redis.call('HDEL', B .. 'lmprops:' .. lobby, user)
  if redis.call('HGET', B .. 'lstate:' .. lobby, 'owner') ~= user then return end
  local best, best_at
  local flat = redis.call('HGETALL', B .. 'lobby:' .. lobby)
  for i = 1, #flat, 2 do
    local at = tonumber(redis.call('HGET', B .. 'conn:' .. flat[i + 1], 'seat_at')) or math.huge
    if not best or at < best_at or (at == best_at and flat[i] < best) then best, best_at = flat[i], at end
  end
  -- No member: a reservation (the owner always holds a seat); none: an empty kept lobby has no owner.
  if not best then best = redis.call('HKEYS', B .. 'lres:' .. lobby)[1] end
  if best then
    set_owner(pub, lobby, best)
  else
    redis.call('HSET', B .. 'lstate:' .. lobby, 'owner', '')
  end
end

-- Ends the user's reservation, if any, silently; its lobby goes when that was its last seat.
local function end_reservation(pub, user)
  local uk = B .. 'ures:' .. user
  local lobby = redis.call('GET', uk)
  if not lobby then return false end
  redis.call('DEL', uk)
  redis.call('ZREM', B .. 'resv', user)
  redis.call('HDEL', B .. 'lres:' .. lobby, user)
  state_seat_ended(pub, lobby, user)
  -- A member's seat change reindexes in seat_changed; a reservation's end has none.
  index_lobby(lobby)
  return true
end

-- Reserves a seat in lobby for user until deadline (its reservation elsewhere ends first).
local function reserve_seat(pub, lobby, user, deadline)
  local uk = B .. 'ures:' .. user
  local was = redis.call('GET', uk)
  if was and was ~= lobby then end_reservation(pub, user) end
  redis.call('SET', uk, lobby)
  redis.call('ZADD', B .. 'resv', deadline, user)
  redis.call('HSET', B .. 'lres:' .. lobby, user, deadline)
  redis.call('ZREM', B .. 'lkeep', lobby)
  index_lobby(lobby)
end

-- Frees the seat of connection cid, if it still has one. Touches only cid's own entries: the
-- user pointer and the lobby field are removed only while they still name cid, so a newer
-- connection of the same user is never removed. Returns {lobby, user, node, offset} (the offset of its entry in the lobby log) or nil.
local function remove_seat(pub, cid, reason)
  local ck = B .. 'conn:' .. cid
  local f = redis.call('HMGET', ck, 'lobby', 'user', 'node', 'away')
  local lobby, user, node = f[1], f[2], f[3]
  if not lobby then return nil end
  if f[4] then unhold(cid, lobby, user) end
  redis.call('DEL', ck)
  redis.call('SREM', B .. 'nconns:' .. node, cid)
  local uk = B .. 'user:' .. user
  if redis.call('GET', uk) == cid then redis.call('DEL', uk) end
  local lk = B .. 'lobby:' .. lobby
  if redis.call('HGET', lk, user) == cid then redis.call('HDEL', lk, user) end
  redis.call('SET', B .. 'gone:' .. cid, reason, 'PX', TOMBSTONE_MS)
  local seq = seat_changed(pub, lobby, { ev = 'left', user = user, conn = cid, node = node, reason = reason })
  state_seat_ended(pub, lobby, user)
  return { lobby, user, node, seq }
end

-- Marks a node whose seats are being freed for missing its deadline: from then on it can no
-- longer renew (it would come back with seats missing); it must register and reclaim.
local function mark_reaping(node, now)
  if redis.call('ZSCORE', B .. 'nodes', node) then
    redis.call('HSETNX', B .. 'node:' .. node, 'reaping', now)
  end
end

-- Removes a node entry whose seats are all gone, remembering that it was reaped.
local function forget_node(node, now)
  redis.call('ZREM', B .. 'nodes', node)
  redis.call('DEL', B .. 'node:' .. node, B .. 'nconns:' .. node)
  redis.call('ZADD', B .. 'reaped', now, node)
  redis.call('ZREMRANGEBYSCORE', B .. 'reaped', '-inf', '(' .. (now - REAPED_MS))
end
