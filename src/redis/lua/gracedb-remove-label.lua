--[[
  Removes a label and logs it.

  Input:
    KEYS: labels zset, logs list.
    ARGV: label, log entry.
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    Returns 1, or 0 if absent (then no mark: nothing was written).
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
  redis.call('RPUSH', KEYS[2], ARGV[2])
  return 1
end, function(reply)
  return reply == 1 and reply or nil
end)
