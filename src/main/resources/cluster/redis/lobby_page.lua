-- lobby_page (read only): one page of GET /api/v1/lobbies in code order (byte order).
-- ARGV: after ("" = first page; else the previous page's next_cursor), limit (>= 1)
-- Reply: {{{code, member_count}, ...}, next_cursor|nil}
local after, limit = ARGV[1] or '', tonumber(ARGV[2])
if not limit or limit < 1 then return redis.error_reply('ERR lobbyhub: limit must be >= 1') end
local min = '-'
if after ~= '' then min = '(' .. after end
local codes = redis.call('ZRANGEBYLEX', B .. 'lobbies', min, '+', 'LIMIT', 0, limit + 1)
local rows, nxt = {}, false
for i = 1, math.min(#codes, limit) do
  rows[i] = { codes[i], redis.call('HLEN', B .. 'lobby:' .. codes[i]) }
end
if #codes > limit then nxt = codes[limit] end
return { rows, nxt }
