-- append: a member's or the game backend's message, appended to the lobby log and published in
-- one step, so its offset is its place in the lobby's one order (SPEC §11).
-- ARGV: pub, lobby, frame (without offset), to (a direct message's user, "" for the lobby),
--       except (a user who does not get it, ""), request, request_node ("" unless the sender
--       waits for each node's count of members it reached), sent_at (the sender's clock, ms),
--       max_age_ms (cluster.redis-timeout)
-- Reply: {offset, epoch}, or {0, false} when the call reached Redis more than max_age_ms after it
--   was sent (it waited in a frozen Redis): the sender gave up on it, so nobody gets it (SPEC §9).
local pub, lobby, frame = ARGV[1], ARGV[2], ARGV[3]
local to, except, request, request_node = ARGV[4] or '', ARGV[5] or '', ARGV[6] or '', ARGV[7] or ''
local sent_at, max_age = tonumber(ARGV[8]), tonumber(ARGV[9])
if not check_pub(pub) then return redis.error_reply('ERR lobbyhub: pub must be PUBLISH, SPUBLISH or NONE') end
if not lobby or lobby == '' or not frame or frame == '' then
  return redis.error_reply('ERR lobbyhub: bad append arguments')
end
if sent_at and max_age and now_ms() - sent_at > max_age then return { 0, false } end
local entry = { ev = 'msg' }
if to ~= '' then entry.to = to end
if except ~= '' then entry.x = except end
if request ~= '' then entry.r = request; entry.rn = request_node end
local offset, epoch = log_append(pub, lobby, entry, frame)
if redis.call('HLEN', B .. 'lobby:' .. lobby) == 0 then
  -- No seat (Redis lost them just now): the log expires as an emptied lobby's does.
  local _, ttl = log_settings()
  redis.call('PEXPIRE', B .. 'llog:' .. lobby, ttl)
end
return { offset, epoch }
