--[[
  Makes an event its pipeline's preferred event in a superevent, joining it when it is in none.

  Input:
    KEYS: event hash, superevent hash, member zset, pipeline-preferred hash, superevent logs, order counter.
    ARGV: superevent id, graceid, pipeline, log entry, the preferred event's graceid as the caller saw it.
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    Returns 'ok', 'missing' (no superevent), 'assigned:<superevent id>', 'already' (it is that pipeline's already), or
    'preferred:<graceid>' (the preferred event changed since the caller looked and is of this pipeline).
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  if redis.call('EXISTS', KEYS[2]) == 0 then return 'missing' end
  local holder = redis.call('HGET', KEYS[1], 'superevent')
  if holder and holder ~= ARGV[1] then return 'assigned:' .. holder end
  if redis.call('HGET', KEYS[4], ARGV[3]) == ARGV[2] then return 'already' end
  local preferred = redis.call('HGET', KEYS[2], 'preferred_event')
  if preferred ~= ARGV[5] then return 'preferred:' .. preferred end
  if not holder then
    redis.call('HSET', KEYS[1], 'superevent', ARGV[1])
    redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[6]), ARGV[2])
  end
  redis.call('HSET', KEYS[4], ARGV[3], ARGV[2])
  redis.call('RPUSH', KEYS[5], ARGV[4])
  return 'ok'
end, function(reply)
  return reply == 'ok' and reply or nil
end)
