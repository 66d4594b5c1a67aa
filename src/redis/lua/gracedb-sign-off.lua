--[[
  Records a sign-off and changes the labels it implies (an advocate's OK: ADVOK in place of ADVREQ), logging it.

  Input:
    KEYS: sign-off hash, labels zset, order counter, logs, superevent hash.
    ARGV: `{type}:{instrument}`, sign-off JSON, label to apply ('' none), labels to remove (JSON list), log entry.
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    Returns 'ok' or 'missing'.
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  if redis.call('EXISTS', KEYS[5]) == 0 then return 'missing' end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  for _, label in ipairs(cjson.decode(ARGV[4])) do redis.call('ZREM', KEYS[2], label) end
  if ARGV[3] ~= '' and not redis.call('ZSCORE', KEYS[2], ARGV[3]) then
    redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[3])
  end
  redis.call('RPUSH', KEYS[4], ARGV[5])
  return 'ok'
end, function(reply)
  return reply == 'ok' and reply or nil
end)
