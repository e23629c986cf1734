-- reap: free the seats of nodes whose lease deadline < TIME, at most `limit` seats per call.
-- ARGV: pub, node ("" = any expired node), limit
-- Reply: {{{lobby, user, conn, offset, node}, ...}, more}   (offset: the seat change's entry in the lobby log)
--   Every removed seat was announced once (member_left reason node_lost) on its lobby channel,
--   unless pub is NONE; then the caller announces from the rows. more = 1 while expired seats
--   remain (call again). A fully reaped node leaves the nodes set and is remembered in
--   B.."reaped". Running it twice, or on two nodes at once, is safe: each seat is removed by
--   exactly one run; the other run does not see it.
local pub, only, limit = ARGV[1], ARGV[2] or '', tonumber(ARGV[3]) or 1000
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
    local cids = redis.call('SPOP', B .. 'nconns:' .. n, budget)
    for _, cid in ipairs(cids) do
      budget = budget - 1
      local r = remove_seat(pub, cid, 'node_lost')
      if r then rows[#rows + 1] = { r[1], r[2], cid, r[4], n } end
    end
    if redis.call('SCARD', B .. 'nconns:' .. n) == 0 then forget_node(n, now) else more = 1 end
  end
end
if more == 0 and only == '' and redis.call('ZCOUNT', nk, '-inf', '(' .. now) > 0 then more = 1 end
return { rows, more }
