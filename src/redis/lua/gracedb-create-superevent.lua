--[[
  Creates a superevent and claims its events, or nothing at all when one of them already belongs to a superevent.

  Input:
    KEYS: superevent hash, superevents zset, by-t0 zset, labels zset, logs list, order counter, pipeline-preferred hash,
          then (event hash, member zset) per event.
    ARGV: id, data, t_start, t_0, t_end, preferred_event, seq, log entry, labels (JSON list), the preferred event's
          pipeline, graceids….
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    Returns nil on success, else the graceid that was already taken.
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  local count = (#KEYS - 7) / 2
  for i = 1, count do
    if redis.call('HGET', KEYS[6 + 2 * i], 'superevent') then return ARGV[10 + i] end
  end
  for i = 1, count do
    redis.call('HSET', KEYS[6 + 2 * i], 'superevent', ARGV[1])
    redis.call('ZADD', KEYS[7 + 2 * i], redis.call('INCR', KEYS[6]), ARGV[10 + i])
  end
  redis.call('HSET', KEYS[1], 'data', ARGV[2], 'seq', ARGV[7], 't_start', ARGV[3], 't_0', ARGV[4], 't_end', ARGV[5], 'preferred_event', ARGV[6])
  redis.call('HSET', KEYS[7], ARGV[10], ARGV[6])
  redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
  for _, label in ipairs(cjson.decode(ARGV[9])) do
    redis.call('ZADD', KEYS[4], 'NX', redis.call('INCR', KEYS[6]), label)
  end
  redis.call('RPUSH', KEYS[5], ARGV[8])
  return false
end, function(reply)
  return (not reply) and ARGV[1] or nil
end)
