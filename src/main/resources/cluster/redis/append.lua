-- append: messages of members and of the game backend, each appended to its lobby's log and
-- published in the same call, in the order given, so an offset is its message's place in the
-- lobby's one order (SPEC §11). A node sends the messages waiting on its connection together.
-- ARGV: pub, sent_at (the sender's clock, ms, when the oldest was sent), max_age_ms
--       (cluster.redis-timeout), size and ttl_ms (recovery.history-size, history-ttl), then six per
--       message: lobby, frame (without offset), to (a direct message's user, "" for the lobby),
--       except (a user who does not get it, ""), request, request_node ("" unless the sender waits
--       for each node's count of members it reached).
-- Reply: one offset per message; -1 for a message without lobby or frame (the others go on); all 0
--   when the call reached Redis more than max_age_ms after it was sent (it waited in a frozen
--   Redis): the sender gave up on them, so nobody gets them (SPEC §9).
local pub, sent_at, max_age = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local size, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
local n = (#ARGV - 5) / 6
if not check_pub(pub) then return redis.error_reply('ERR lobbyhub: pub must be PUBLISH, SPUBLISH or NONE') end
if not size or not ttl or n < 1 or n ~= math.floor(n) then
  return redis.error_reply('ERR lobbyhub: bad append arguments')
end
local offsets = {}
if sent_at and max_age and time_ms() - sent_at > max_age then
  for i = 1, n do offsets[i] = 0 end
  return offsets
end
-- A JSON string; cjson only for the rare value that needs escaping (it costs more than the rest).
local function quoted(v)
  if string.find(v, '[%c"\\]') then return cjson.encode(v) end
  return '"' .. v .. '"'
end

-- The entry of a message as JSON (what cjson.encode of {ev, o, e, to, x, r, rn} would give).
local function message_entry(to, except, request, request_node)
  local tail = ''
  if to ~= '' then tail = tail .. ',"to":' .. quoted(to) end
  if except ~= '' then tail = tail .. ',"x":' .. quoted(except) end
  if request ~= '' then tail = tail .. ',"r":' .. quoted(request) .. ',"rn":' .. quoted(request_node) end
  return function(offset, epoch)
    return '{"ev":"msg","o":' .. offset .. ',"e":"' .. epoch .. '"' .. tail .. '}'
  end
end

local epochs = {}
for i = 1, n do
  local a = 5 + (i - 1) * 6
  local lobby, frame, to, except, request = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
  if lobby == '' or frame == '' then
    offsets[i] = -1
  else
    local entry = message_entry(to, except, request, ARGV[a + 6])
    local offset, epoch = log_append(pub, lobby, entry, frame, size, epochs[lobby])
    if not epochs[lobby] then
      epochs[lobby] = epoch
      if redis.call('HLEN', B .. 'lobby:' .. lobby) == 0 then
        -- No seat (the lobby emptied, or Redis lost them): the log's hash expires with its stream.
        redis.call('PEXPIRE', B .. 'llog:' .. lobby, ttl)
      end
    end
    offsets[i] = offset
  end
end
if size > 0 then
  for lobby in pairs(epochs) do redis.call('PEXPIRE', B .. 'log:' .. lobby, ttl) end
end
return offsets
