--[[
  Walks a sorted set of the dashboard's task index by rank and keeps the slots whose row matches every term
  (src/task-index/task-index.ts). Members are slots (10 digits), the fields of "<base>:rec".

  Input:
    KEYS[1] the index (a ZSET of slots)
    KEYS[2] the row hash (slot -> row, includes/task-row.lua)

    ARGV[1] reverse (1/0)
    ARGV[2] first rank
    ARGV[3] last rank
    ARGV[4] most candidates to look at
    ARGV[5] most matches to return (0 = only count)
    ARGV[6] time window from ('' = open)
    ARGV[7] time window to ('' = open)
    ARGV[8..] term pairs: field code or '' (free text), text; code 'N' is the whole name, in its own case

  Output:
    {next rank or -1 when done, matches counted, slot…}
]]
--- @include "task-row"

local reverse, first, last, budget, want = ARGV[1] == '1', tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local from, to = tonumber(ARGV[6]), tonumber(ARGV[7])
local terms = {}
for i = 8, #ARGV, 2 do terms[#terms + 1] = {ARGV[i], ARGV[i + 1]} end
local stop = math.min(last, first + budget - 1)
local members
if reverse then members = redis.call('ZRANGE', KEYS[1], first, stop, 'REV') else members = redis.call('ZRANGE', KEYS[1], first, stop) end
-- Rows read 200 at a time: a first page stops after a few.
local rows = {}
local out = {0, 0}
local count = 0
local rank = first
for k, slot in ipairs(members) do
  rank = rank + 1
  if k % 200 == 1 then rows = redis.call('HMGET', KEYS[2], unpack(members, k, math.min(#members, k + 199))) end
  local row = rows[(k - 1) % 200 + 1]
  local ok = row ~= nil and row ~= false
  local rec, low
  if ok then rec = row_record(row) end
  if ok and (from or to) then
    local t = tonumber(field(rec, 't')) or 0
    if (from and t < from) or (to and t > to) then ok = false end
  end
  if ok then
    for _, term in ipairs(terms) do
      local code, text = term[1], term[2]
      if code == 'N' then
        if field(rec, 'n') ~= text then ok = false break end
      else
        low = low or row_search(row)
        if not matches(low, code, text) then ok = false break end
      end
    end
  end
  if ok then
    count = count + 1
    if count <= want then out[#out + 1] = slot end
    if want > 0 and count >= want then break end
  end
end
if rank > last or #members == 0 then out[1] = -1 else out[1] = rank end
out[2] = count
return out
