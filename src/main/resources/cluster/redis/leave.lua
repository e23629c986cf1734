-- leave: a draining node's goodbye, after it closed its connections: frees any seat it still
-- holds (member_left reason shutdown, announced once like any release) and removes its lease, so
-- it leaves the stats at once instead of after its deadline.
-- ARGV: pub, node
-- Reply: number of seats freed here (0 when every close had already released its own)
local pub, node = ARGV[1], ARGV[2]
if not check_pub(pub) then return redis.error_reply('ERR lobbyhub: pub must be PUBLISH, SPUBLISH or NONE') end
if not node or node == '' then return redis.error_reply('ERR lobbyhub: bad leave arguments') end
local freed = 0
for _, cid in ipairs(redis.call('SMEMBERS', B .. 'nconns:' .. node)) do
  if remove_seat(pub, cid, 'shutdown') then freed = freed + 1 end
end
redis.call('ZREM', B .. 'nodes', node)
redis.call('DEL', B .. 'node:' .. node, B .. 'nconns:' .. node)
return freed
