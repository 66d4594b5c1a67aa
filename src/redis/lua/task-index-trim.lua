--[[
  Trims the dashboard's task index (src/task-index/task-index.ts): by age first, then the oldest of each queue over
  the cap (found by walking the time index from its oldest end, at most `budget` rows a call).

  Input:
    ARGV[1] base (the index's key prefix)
    ARGV[2] cutoff (ms: older submissions go)
    ARGV[3] cap per queue
    ARGV[4] most removals this call (and most rows looked at, ten times that)

  Output:
    The number removed.
]]
--- @include "remove-one"

local base, cutoff, cap, budget = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local removed = 0
local old = redis.call('ZRANGEBYSCORE', base .. ':idx:time', '-inf', '(' .. cutoff, 'LIMIT', 0, budget)
for _, slot in ipairs(old) do removed = removed + remove_slot(base, slot) end
-- Queue -> how many of its tasks are over the cap.
local excess, over = {}, false
local counts = redis.call('HGETALL', base .. ':cnt')
for i = 1, #counts, 2 do
  local queue = string.match(counts[i], '^q:(.*)$')
  if queue and tonumber(counts[i + 1]) > cap then
    excess[queue] = tonumber(counts[i + 1]) - cap
    over = true
  end
end
local rank, looked = 0, 0
while over and removed < budget and looked < budget * 10 do
  local slots = redis.call('ZRANGE', base .. ':idx:time', rank, rank + 999)
  if #slots == 0 then break end
  looked = looked + #slots
  local rows = redis.call('HMGET', base .. ':rec', unpack(slots))
  over = false
  for j, slot in ipairs(slots) do
    local kept = true
    if rows[j] and removed < budget then
      local queue = field(row_record(rows[j]), 'q')
      if (excess[queue] or 0) > 0 then
        remove_slot(base, slot)
        excess[queue] = excess[queue] - 1
        removed = removed + 1
        kept = false
      end
    end
    if kept then rank = rank + 1 end
  end
  for _, n in pairs(excess) do
    if n > 0 then over = true end
  end
end
return removed
