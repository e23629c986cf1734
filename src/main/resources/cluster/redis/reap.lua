-- reap: free the seats of nodes whose lease deadline < TIME, and end held seats whose grace ran
-- out, at most `limit` seats per call; then end reservations whose time ran out.
-- ARGV: pub, node ("" = any expired node), limit[, hold_ms]
--   hold_ms > 0: a lost node's seats are held for hold_ms (member_away node_lost, SPEC §10)
--   instead of freed (member_left node_lost).
-- Reply: {{{lobby, user, conn, offset, node}, ...}, more, ended}
--   rows: the lost node's seats freed or held (offset: the seat change's entry in the lobby log);
--   ended: how many held seats ended (member_left with the reason they were held for).
--   Every change was announced once on its lobby channel, unless pub is NONE; then the caller
--   announces from the rows. more = 1 while expired seats or holds remain (call again). A fully
--   reaped node leaves the nodes set and is remembered in B.."reaped". Running it twice, or on two
--   nodes at once, is safe: each seat is changed by exactly one run; the other run does not see it.
local pub, only, limit, hold = ARGV[1], ARGV[2] or '', tonumber(ARGV[3]) or 1000, tonumber(ARGV[4]) or 0
if not check_pub(pub) then return redis.error_reply('ERR lobbyhub: pub must be PUBLISH, SPUBLISH or NONE') end
if limit < 1 then return redis.error_reply('ERR lobbyhub: limit must be >= 1') end
local now = now_ms()
local nk = B .. 'nodes'
local targets
if only ~= '' then
  targets = { only }
else
  targets = redis.call('ZRANGEBYSCORE', nk, '-inf', '(' .. now, 'LIMIT', 0, 16)
end
local rows, budget, more = {}, limit, 0
for _, n in ipairs(targets) do
  local dl = redis.call('ZSCORE', nk, n)
  if dl and tonumber(dl) < now then
    if budget <= 0 then more = 1; break end
    mark_reaping(n, now)
    local cids = redis.call('SRANDMEMBER', B .. 'nconns:' .. n, budget)
    for _, cid in ipairs(cids) do
      budget = budget - 1
      local r
      if hold > 0 then r = hold_seat(pub, cid, 'node_lost', hold, now) else r = remove_seat(pub, cid, 'node_lost') end
      if r then
        rows[#rows + 1] = { r[1], r[2], cid, r[4], n }
      else
        redis.call('SREM', B .. 'nconns:' .. n, cid) -- no seat behind it
      end
    end
    if redis.call('SCARD', B .. 'nconns:' .. n) == 0 then forget_node(n, now) else more = 1 end
  end
end
if more == 0 and only == '' and redis.call('ZCOUNT', nk, '-inf', '(' .. now) > 0 then more = 1 end
local ended = 0
if budget > 0 then
  local hk = B .. 'holds'
  local due = redis.call('ZRANGEBYSCORE', hk, '-inf', '(' .. now, 'LIMIT', 0, budget)
  for _, cid in ipairs(due) do
    local reason = redis.call('HGET', B .. 'conn:' .. cid, 'away')
    if reason and remove_seat(pub, cid, reason) then
      ended = ended + 1
    else
      redis.call('ZREM', hk, cid)
    end
  end
  if #due == budget then more = 1 end
elseif redis.call('ZCOUNT', B .. 'holds', '-inf', '(' .. now) > 0 then
  more = 1
end
-- Reservations whose time ran out end silently (SPEC §13), and so do lobbies a game backend made
-- that nobody took a seat in.
local due = redis.call('ZRANGEBYSCORE', B .. 'resv', '-inf', '(' .. now, 'LIMIT', 0, limit)
for _, user in ipairs(due) do
  if not end_reservation(pub, user) then redis.call('ZREM', B .. 'resv', user) end
end
if #due == limit then more = 1 end
local kept = redis.call('ZRANGEBYSCORE', B .. 'lkeep', '-inf', '(' .. now, 'LIMIT', 0, limit)
for _, lobby in ipairs(kept) do
  redis.call('ZREM', B .. 'lkeep', lobby)
  if seat_count(lobby) == 0 then state_seat_ended(pub, lobby, '') end
end
return { rows, more, ended }
