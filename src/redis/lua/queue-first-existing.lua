--[[
  Which of a job's possible keys exists first (src/queue/client.ts). A script rather than a pipeline: ioredis builds a
  pipeline by copying every script BullMQ defined on the connection, which costs more than the lookup.

  Input:
    KEYS[1..n] the keys to look for, in order

  Output:
    The position (from 1) of the first key that exists, 0 if none.
]]
for i, key in ipairs(KEYS) do if redis.call('EXISTS', key) == 1 then return i end end
return 0
