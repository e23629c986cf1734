-- renew: extend the lease of a live node: deadline = TIME + timeout_ms.
-- ARGV: node, timeout_ms, max_connections
-- Replies:
--   {"ok", deadline, now}        renewed
--   {"late", deadline, now}      renewed although the old deadline had passed: no seat of it had
--                                been freed yet (e.g. Redis was unreachable for a while)
--   {"expired", old_deadline, now}  deadline passed and reaping has begun: NOT renewed; the node
--                                is lost and must run register, then reclaim
--   {"reaped", reaped_at}        it was reaped: register, then reclaim its live connections
--   {"unknown"}                  never registered, or Redis lost its data: same as reaped
-- Renew never creates a node entry.
local node, timeout, maxc = ARGV[1], tonumber(ARGV[2]), ARGV[3] or '0'
if not node or node == '' or not timeout or timeout < 1 then
  return redis.error_reply('ERR lobbyhub: bad renew arguments')
end
local now = now_ms()
local nk = B .. 'nodes'
local dl = redis.call('ZSCORE', nk, node)
if not dl then
  local at = redis.call('ZSCORE', B .. 'reaped', node)
  if at then return { 'reaped', tonumber(at) } end
  return { 'unknown' }
end
local status = 'ok'
if tonumber(dl) < now then
  if redis.call('HEXISTS', B .. 'node:' .. node, 'reaping') == 1 then
    return { 'expired', tonumber(dl), now }
  end
  status = 'late'
end
redis.call('ZADD', nk, 'XX', now + timeout, node)
redis.call('HSET', B .. 'node:' .. node, 'seen', now, 'max_connections', maxc)
return { status, now + timeout, now }
