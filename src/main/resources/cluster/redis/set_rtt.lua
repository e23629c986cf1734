-- set_rtt: record round-trip times of this node's connections (admin API rtt_ms).
-- ARGV: conn1, rtt_ms1, conn2, rtt_ms2, ...   Reply: number of connections updated.
-- A connection whose seat is gone is skipped (never re-creates its hash).
local n = 0
for i = 1, #ARGV - 1, 2 do
  local ck = B .. 'conn:' .. ARGV[i]
  if redis.call('EXISTS', ck) == 1 then
    redis.call('HSET', ck, 'rtt_ms', ARGV[i + 1])
    n = n + 1
  end
end
return n
