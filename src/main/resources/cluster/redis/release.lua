-- release: free (or hold) the seat of connection `conn` exactly once.
-- ARGV: pub, conn, reason[, hold_ms]   (reason = a member_left reason: left, stale, kicked, shutdown, ...)
--   hold_ms > 0: the connection ended for a reason that holds its seat (SPEC §10): the seat is held
--   for hold_ms (member_away) instead of freed. A held seat released again without hold_ms (a kick)
--   is freed with that reason.
-- Replies:
--   {1, lobby, user, offset, reason}   the seat was freed now (offset: its entry in the lobby log); member_left was published
--   {2, lobby, user, offset, reason}   the seat is held now; member_away was published
--   {0, nil, nil, nil, why}            nothing changed: why = the reason it was freed earlier
--                                      (replaced, node_lost, left, ...), "away" (held already) or "unknown"
-- Never touches another connection of the same user. A release for an unknown id leaves a
-- "released" tombstone, so a claim for that id that arrives later (retry, reordering) is refused.
local pub, cid, reason, hold = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]) or 0
if not check_pub(pub) then return redis.error_reply('ERR lobbyhub: pub must be PUBLISH, SPUBLISH or NONE') end
if not cid or cid == '' or not reason or reason == '' then
  return redis.error_reply('ERR lobbyhub: bad release arguments')
end
if hold > 0 then
  local r = hold_seat(pub, cid, reason, hold, now_ms())
  if r then return { 2, r[1], r[2], r[4], reason } end
  if redis.call('HEXISTS', B .. 'conn:' .. cid, 'away') == 1 then return { 0, false, false, false, 'away' } end
end
local r = remove_seat(pub, cid, reason)
if r then return { 1, r[1], r[2], r[4], reason } end
local gk = B .. 'gone:' .. cid
local why = redis.call('GET', gk)
if not why then
  redis.call('SET', gk, 'released', 'PX', TOMBSTONE_MS)
  why = 'unknown'
end
return { 0, false, false, false, why }
