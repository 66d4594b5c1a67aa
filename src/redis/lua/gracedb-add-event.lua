--[[
  Adds an event to a superevent unless it already belongs to one.

  Input:
    KEYS: event hash, superevent hash, member zset, superevent logs, order counter.
    ARGV: superevent id, graceid, log entry.
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    Returns 'ok', 'missing' (no superevent) or 'assigned:<superevent id>'.
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  if redis.call('EXISTS', KEYS[2]) == 0 then return 'missing' end
  local holder = redis.call('HGET', KEYS[1], 'superevent')
  if holder then return 'assigned:' .. holder end
  redis.call('HSET', KEYS[1], 'superevent', ARGV[1])
  redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[5]), ARGV[2])
  redis.call('RPUSH', KEYS[4], ARGV[3])
  return 'ok'
end, function(reply)
  return reply == 'ok' and reply or nil
end)
