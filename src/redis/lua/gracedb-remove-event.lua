--[[
  Takes an event out of a superevent, unless it is the preferred event.

  Input:
    KEYS: event hash, superevent hash, member zset, pipeline-preferred hash, superevent logs.
    ARGV: superevent id, graceid, the event's pipeline, log entry.
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    Returns 'ok', 'missing' (no superevent), 'not-member' or 'preferred'.
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  if redis.call('EXISTS', KEYS[2]) == 0 then return 'missing' end
  if redis.call('HGET', KEYS[1], 'superevent') ~= ARGV[1] then return 'not-member' end
  if redis.call('HGET', KEYS[2], 'preferred_event') == ARGV[2] then return 'preferred' end
  redis.call('ZREM', KEYS[3], ARGV[2])
  redis.call('HDEL', KEYS[1], 'superevent')
  if redis.call('HGET', KEYS[4], ARGV[3]) == ARGV[2] then redis.call('HDEL', KEYS[4], ARGV[3]) end
  redis.call('RPUSH', KEYS[5], ARGV[4])
  return 'ok'
end, function(reply)
  return reply == 'ok' and reply or nil
end)
