--[[
  Applies a label unless already there, and logs it.

  Input:
    KEYS: labels zset, order counter, logs list.
    ARGV: label, log entry.
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    Returns 1 if applied, 0 if already there.
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[1])
  redis.call('RPUSH', KEYS[3], ARGV[2])
  return 1
end, function(reply)
  return reply
end)
