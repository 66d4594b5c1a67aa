--[[
  Trims the dashboard's task index (src/task-index/task-index.ts): by age first, then the oldest of each queue over
  the cap.

  Input:
    ARGV[1] base (the index's key prefix)
    ARGV[2] cutoff (ms: older submissions go)
    ARGV[3] cap per queue
    ARGV[4] most removals this call

  Output:
    The number removed.
]]
--- @include "remove-one"

local base, cutoff, cap, budget = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local removed = 0
local old = redis.call('ZRANGEBYSCORE', base .. ':idx:time', '-inf', '(' .. cutoff, 'LIMIT', 0, budget)
for _, id in ipairs(old) do removed = removed + remove_one(base, id) end
for _, q in ipairs(redis.call('SMEMBERS', base .. ':queues')) do
  local key = base .. ':idx:queue:' .. q
  local excess = redis.call('ZCARD', key) - cap
  if excess > 0 and removed < budget then
    local ids = redis.call('ZRANGE', key, 0, math.min(excess, budget - removed) - 1)
    for _, id in ipairs(ids) do
      remove_one(base, id)
      redis.call('ZREM', key, id)
      removed = removed + 1
    end
  end
end
return removed
