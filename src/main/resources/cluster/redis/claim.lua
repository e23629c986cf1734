-- claim: admit connection `conn` of `user` into `lobby` on `node`, atomically.
-- ARGV: pub, lobby, user, conn, node, max_per_lobby, mode, name[, hold_ms]
--   pub   PUBLISH | SPUBLISH | NONE  (how presence events go out on B.."ch:lobby:"..lobby)
--   mode  replace | reject | reclaim | restore
--         reclaim = re-registering a live connection after the node was reaped: never displaces
--         anyone, may reuse a node_lost id, takes the seat only while the lobby has room;
--         restore = the same after Redis lost its data: the lobby's limit is not checked, because
--         every node puts back members that were all admitted before (the caller reports a lobby
--         over its limit; newcomers are refused until it is back under)
--   name  display name, "" for none
--   hold_ms  the grace seats are held for (SPEC §10); > 0: the user's seat in this lobby on a node
--         that missed its lease is taken over silently (held, as the reaper would have), not freed
-- Order of checks = SPEC §1: node lease, duplicate user (reject), kicked out of the lobby, lobby
-- locked (newcomers only), lobby capacity (the lobby's own max_members once it has a state;
-- reservations count, and the user's own reservation here passes both, SPEC §13).
-- Replies (first element is the status):
--   {"ok"|"exists", offset, {user ids after the claim}, displaced_conn, displaced_node, displaced_lobby, connected_at,
--    seat_at, epoch, hold, {away user ids after the claim}}
--       offset: the claim's entry in the lobby log (joined or replaced); seat_at: the offset at which
--       the seat began (kept when a connection of the same user takes it over); epoch: the log's;
--       displaced_*: the connection this claim took the seat from / closed (nil if none);
--       "exists": this conn already holds this seat (a retried claim); nothing changed,
--       displaced_* nil (a displacement by the first call was published as a seat event);
--       hold: "returned" when the user took back its seat held in this lobby (member_back; displaced_*
--       name the held seat), "freed" when it freed one held in another lobby (member_left left there),
--       else nil (SPEC §10)
--   ..., state}: the lobby's state after the claim (lib.lua state_reply; SPEC §12)
--   {"node_expired"} | {"duplicate_session"} | {"forbidden"} | {"lobby_locked"} | {"lobby_full"} | {"conn_closed", reason}
local pub, lobby, user, cid, node = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local max, mode, name, hold_ms = tonumber(ARGV[6]), ARGV[7], ARGV[8] or '', tonumber(ARGV[9]) or 0
if not check_pub(pub) then return redis.error_reply('ERR lobbyhub: pub must be PUBLISH, SPUBLISH or NONE') end
if mode ~= 'replace' and mode ~= 'reject' and mode ~= 'reclaim' and mode ~= 'restore' then
  return redis.error_reply('ERR lobbyhub: mode must be replace, reject, reclaim or restore')
end
if not max or max < 1 or lobby == '' or user == '' or cid == '' or node == '' then
  return redis.error_reply('ERR lobbyhub: bad claim arguments')
end

local now = now_ms()
if not node_alive(node, now) then return { 'node_expired' } end

local gone = redis.call('GET', B .. 'gone:' .. cid)
local returning = mode == 'reclaim' or mode == 'restore'
if gone and not (returning and gone == 'node_lost') then return { 'conn_closed', gone } end

local lk = B .. 'lobby:' .. lobby
local ck = B .. 'conn:' .. cid
local cur = redis.call('HMGET', ck, 'lobby', 'user', 'node', 'connected_at', 'away')
if cur[1] then
  if cur[1] == lobby and cur[2] == user and cur[3] == node then
    local seat_at = tonumber(redis.call('HGET', ck, 'seat_at')) or 0
    if cur[5] then
      -- Held while its node was taken for dead (node_lost), and the connection is still open:
      -- the node takes the seat back; its lobby hears member_back.
      unhold(cid, lobby, user)
      redis.call('HDEL', ck, 'away')
      redis.call('SADD', B .. 'nconns:' .. node, cid)
      local seq = seat_changed(pub, lobby, { ev = 'back', user = user, conn = cid, node = node, old_conn = cid })
      local _, epoch = log_position(lobby)
      return { 'ok', seq, redis.call('HKEYS', lk), cid, node, lobby, tonumber(cur[4]), seat_at, epoch, 'returned',
               away_members(lobby), state_reply(lobby) }
    end
    local offset, epoch = log_position(lobby)
    return { 'exists', offset, redis.call('HKEYS', lk), false, false, false, tonumber(cur[4]), seat_at, epoch, false,
             away_members(lobby), state_reply(lobby) }
  end
  return redis.error_reply('ERR lobbyhub: connection id already used for another seat')
end

-- The user's current connection, if any, and whether its node is still alive.
local uk = B .. 'user:' .. user
local old = redis.call('GET', uk)
local old_lobby, old_node, old_alive, old_away
if old then
  local f = redis.call('HMGET', B .. 'conn:' .. old, 'lobby', 'node', 'away')
  if f[1] then
    old_lobby, old_node, old_away = f[1], f[2], f[3]
    -- A held seat has no connection: its return is no duplicate, whatever the policy (SPEC §10).
    old_alive = not old_away and node_alive(old_node, now)
  else
    redis.call('DEL', uk) -- dangling pointer; cannot happen while all writes go through lib.lua
    old = nil
  end
end

if old and old_alive and mode ~= 'replace' then return { 'duplicate_session' } end

-- The lobby's own rules (SPEC §12): a kicked user stays out; a locked lobby takes no newcomer (a
-- seat of the same user in it, held or not, and a node putting back its members are no newcomers).
local sk = B .. 'lstate:' .. lobby
local state = redis.call('HMGET', sk, 'locked', 'max')
if redis.call('SISMEMBER', B .. 'lkicked:' .. lobby, user) == 1 then return { 'forbidden' } end
local same = old and old_lobby == lobby
-- A seat reserved for the user here (SPEC §13) passes the lock and the capacity, as a held seat does.
local rk = B .. 'lres:' .. lobby
local reserved_here = redis.call('HEXISTS', rk, user) == 1
if state[1] == '1' and not same and not returning and not reserved_here then return { 'lobby_locked' } end

-- Capacity, decided before anything is changed. A seat of the same user in this lobby is
-- reused (alive: replace) or freed first (dead node), so it does not count; reservations do.
local count = redis.call('HLEN', lk) + redis.call('HLEN', rk)
if same then count = count - 1 end
local capacity = tonumber(state[2]) or max
if count >= capacity and mode ~= 'restore' and not reserved_here then return { 'lobby_full' } end

if reserved_here then
  -- Taken by the user's connection: a seat like any other from now on.
  redis.call('HDEL', rk, user)
  redis.call('DEL', B .. 'ures:' .. user)
  redis.call('ZREM', B .. 'resv', user)
elseif mode == 'replace' or mode == 'reject' then
  -- Connecting elsewhere ends a reservation.
  end_reservation(pub, user)
end

local d_conn, d_node, d_lobby, hold = false, false, false, false
local seq
if old and old_away and old_lobby ~= lobby then
  -- Away from another lobby: that held seat is freed at once.
  remove_seat(pub, old, 'left')
  old, hold = nil, 'freed'
end
if old and not old_alive and not old_away and hold_ms > 0 and old_lobby == lobby then
  -- Its node missed its lease, and seats are held: it takes its own seat over (below).
  mark_reaping(old_node, now)
elseif old and not old_alive and not old_away then
  -- Its node missed its lease: free that seat now as node_lost (the reaper would find it gone).
  mark_reaping(old_node, now)
  remove_seat(pub, old, 'node_lost')
  old = nil
end
local seat_at
if old and old_lobby == lobby then
  -- Same lobby: the new connection takes the seat over; members see no leave/join (SPEC §3), or,
  -- when the seat was held, member_back (SPEC §10).
  seat_at = redis.call('HGET', B .. 'conn:' .. old, 'seat_at')
  redis.call('DEL', B .. 'conn:' .. old)
  redis.call('SREM', B .. 'nconns:' .. old_node, old)
  local ev = 'replaced'
  if old_away then
    unhold(old, lobby, user)
    ev, hold = 'back', 'returned'
  end
  redis.call('SET', B .. 'gone:' .. old, ev, 'PX', TOMBSTONE_MS)
  write_seat(lobby, user, cid, node, name, now)
  seq = seat_changed(pub, lobby, { ev = ev, user = user, conn = cid, node = node,
                                   old_conn = old, old_node = old_node })
  d_conn, d_node, d_lobby = old, old_node, lobby
else
  if old then
    remove_seat(pub, old, 'replaced')
    d_conn, d_node, d_lobby = old, old_node, old_lobby
  end
  write_seat(lobby, user, cid, node, name, now)
  local made = state_open(lobby, user, max)
  seq = seat_changed(pub, lobby, { ev = 'joined', user = user, conn = cid, node = node })
  seat_at = seq
  -- A member put back whose lobby lost its state: the members there hear the state start afresh.
  if made and returning then state_announce(pub, lobby) end
end
seat_at = tonumber(seat_at) or seq
redis.call('HSET', B .. 'conn:' .. cid, 'seat_at', seat_at)
local _, epoch = log_position(lobby)
return { 'ok', seq, redis.call('HKEYS', lk), d_conn, d_node, d_lobby, now, seat_at, epoch, hold, away_members(lobby),
         state_reply(lobby) }
