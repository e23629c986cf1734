-- register: create (or re-create) a node's lease: deadline = TIME + timeout_ms.
-- ARGV: pub, node, timeout_ms, max_connections, restoring ("1" while the node puts its members back
--       into a Redis that lost its data: others wait for it before admitting; cleared with HDEL),
--       log_size, log_ttl_ms (the lobby log's settings, lib.lua; nodes of one cluster share them),
--       hold_ms (> 0: seats left from an expired life are held as node_lost, SPEC §10, not freed)
-- Reply: {status, deadline, now, freed}
--   status "registered" (new entry) or "renewed" (it was there and no reaping had begun:
--          same as renew, its seats are kept)
--   freed  seats of a previous, expired life of this id that were freed (or held) here (node_lost)
-- Use at start-up, and after renew answered expired/reaped/unknown; then reclaim each live
-- connection with claim(mode = "reclaim") before admitting new ones.
local pub, node, timeout, maxc = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] or '0'
local restoring = ARGV[5] == '1'
local log_size, log_ttl = tonumber(ARGV[6]), tonumber(ARGV[7])
local hold = tonumber(ARGV[8]) or 0
if not check_pub(pub) then return redis.error_reply('ERR lobbyhub: pub must be PUBLISH, SPUBLISH or NONE') end
if not node or node == '' or not timeout or timeout < 1 then
  return redis.error_reply('ERR lobbyhub: bad register arguments')
end
if log_size and log_ttl then redis.call('HSET', B .. 'logcfg', 'size', log_size, 'ttl', log_ttl) end
local now = now_ms()
local nk = B .. 'nodes'
local dl = redis.call('ZSCORE', nk, node)
local status, freed = 'registered', 0
if dl and (tonumber(dl) >= now or redis.call('HEXISTS', B .. 'node:' .. node, 'reaping') == 0) then
  status = 'renewed'
elseif dl then
  for _, cid in ipairs(redis.call('SMEMBERS', B .. 'nconns:' .. node)) do
    local r
    if hold > 0 then r = hold_seat(pub, cid, 'node_lost', hold, now) else r = remove_seat(pub, cid, 'node_lost') end
    if r then freed = freed + 1 end
  end
  redis.call('DEL', B .. 'nconns:' .. node)
end
if status == 'registered' then redis.call('DEL', B .. 'node:' .. node) end
redis.call('ZADD', nk, now + timeout, node)
redis.call('ZREM', B .. 'reaped', node)
local hk = B .. 'node:' .. node
redis.call('HSET', hk, 'seen', now, 'max_connections', maxc)
redis.call('HSETNX', hk, 'registered_at', now)
if restoring then redis.call('HSET', hk, 'restoring', now) else redis.call('HDEL', hk, 'restoring') end
return { status, now + timeout, now, freed }
