-- leave: a draining node's goodbye, after it closed its connections: frees (or, with hold_ms > 0,
-- holds as shutdown) any seat it still has (announced once like any release) and removes its
-- lease, so it leaves the stats at once instead of after its deadline.
-- ARGV: pub, node[, hold_ms]
-- Reply: number of seats freed or held here (0 when every close had already released its own)
local pub, node, hold = ARGV[1], ARGV[2], tonumber(ARGV[3]) or 0
if not check_pub(pub) then return redis.error_reply('ERR lobbyhub: pub must be PUBLISH, SPUBLISH or NONE') end
if not node or node == '' then return redis.error_reply('ERR lobbyhub: bad leave arguments') end
local now = now_ms()
local freed = 0
for _, cid in ipairs(redis.call('SMEMBERS', B .. 'nconns:' .. node)) do
  local r
  if hold > 0 then r = hold_seat(pub, cid, 'shutdown', hold, now) else r = remove_seat(pub, cid, 'shutdown') end
  if r then freed = freed + 1 end
end
redis.call('ZREM', B .. 'nodes', node)
redis.call('DEL', B .. 'node:' .. node, B .. 'nconns:' .. node)
return freed
