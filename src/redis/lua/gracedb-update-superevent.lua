--[[
  Changes superevent fields; a new preferred event joins the superevent unless another one holds it, and becomes its
  pipeline's preferred event.

  Input:
    KEYS: superevent hash, new preferred event hash (any key when unchanged), its member zset, by-t0 zset, logs,
          order counter, pipeline-preferred hash.
    ARGV: superevent id, new preferred graceid or '', log entry, its pipeline or '', then field, value, field, value….
          An empty value deletes the field (a FAR set back to null).
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    Returns 'ok' or 'assigned:<superevent id>'.
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  if ARGV[2] ~= '' then
    local holder = redis.call('HGET', KEYS[2], 'superevent')
    if holder and holder ~= ARGV[1] then return 'assigned:' .. holder end
    if not holder then
      redis.call('HSET', KEYS[2], 'superevent', ARGV[1])
      redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[6]), ARGV[2])
    end
    redis.call('HSET', KEYS[7], ARGV[4], ARGV[2])
  end
  for i = 5, #ARGV, 2 do
    if ARGV[i + 1] == '' then
      redis.call('HDEL', KEYS[1], ARGV[i])
    else
      redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    end
    if ARGV[i] == 't_0' then redis.call('ZADD', KEYS[4], ARGV[i + 1], ARGV[1]) end
  end
  redis.call('RPUSH', KEYS[5], ARGV[3])
  return 'ok'
end, function(reply)
  return reply == 'ok' and reply or nil
end)
