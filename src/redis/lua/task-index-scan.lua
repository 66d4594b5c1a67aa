--[[
  Walks an index of the dashboard's task index by rank and keeps the IDs whose search record matches every term
  (src/task-index/task-index.ts). Members of the name index are "name\1<13 digits>\1id".

  Input:
    KEYS[1] the index (a ZSET)
    KEYS[2] the version hash (id -> "version slot")
    KEYS[3] the row hash (slot -> "id\30search record")
    KEYS[4] the search-record hash by ID of rows written before slots (read when a task has no slot)

    ARGV[1] reverse (1/0)
    ARGV[2] first rank
    ARGV[3] last rank
    ARGV[4] most candidates to look at
    ARGV[5] most matches to return (0 = only count)
    ARGV[6] time window from ('' = open)
    ARGV[7] time window to ('' = open)
    ARGV[8..] term pairs: field code or '', text

  Output:
    {next rank or -1 when done, matches counted, id…}
]]
--- @include "field"
--- @include "trigrams"

local reverse, first, last, budget, want = ARGV[1] == '1', tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local from, to = tonumber(ARGV[6]), tonumber(ARGV[7])
local terms = {}
for i = 8, #ARGV, 2 do terms[#terms + 1] = {ARGV[i], ARGV[i + 1]} end
local stop = math.min(last, first + budget - 1)
local members
if reverse then members = redis.call('ZRANGE', KEYS[1], first, stop, 'REV') else members = redis.call('ZRANGE', KEYS[1], first, stop) end
local out = {0, 0}
local count = 0
local rank = first
for _, member in ipairs(members) do
  rank = rank + 1
  local id = member
  local z = string.find(member, '\1', 1, true)
  if z then id = string.sub(member, z + 15) end
  local ver = redis.call('HGET', KEYS[2], id)
  local slot = ver and string.match(ver, ' (%d+)$')
  local rec
  if slot then
    rec = redis.call('HGET', KEYS[3], slot)
    if rec then _, rec = split_row(rec) end
  else
    rec = redis.call('HGET', KEYS[4], id)
  end
  local ok = rec ~= nil and rec ~= false
  if ok and (from or to) then
    local t = tonumber(field(rec, 't')) or 0
    if (from and t < from) or (to and t > to) then ok = false end
  end
  if ok then
    for _, term in ipairs(terms) do
      local code, text = term[1], term[2]
      if code == '' then
        -- Free text starts after the leading time field.
        if not string.find(rec, text, (string.find(rec, '\31', 2, true) or 1), true) then ok = false break end
      elseif code == 's' then
        if field(rec, 's') ~= text then ok = false break end
      elseif not string.find(field(rec, code), text, 1, true) then ok = false break end
    end
  end
  if ok then
    count = count + 1
    if count <= want then out[#out + 1] = id end
    if want > 0 and count >= want then break end
  end
end
if rank > last or #members == 0 then out[1] = -1 else out[1] = rank end
out[2] = count
return out
