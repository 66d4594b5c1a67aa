--[[
  Stores a new event with its file, its "Original Data" log entry and its labels.

  Input:
    KEYS: event hash, events zset, file versions hash, file, logs list, by-gpstime zset, labels zset.
    ARGV: graceid, data, seq, filename, file bytes, log entry, gpstime ('' when it has none), then score, label pairs.
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    Returns the graceid.
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  redis.call('HSET', KEYS[1], 'data', ARGV[2], 'seq', ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[4], 1)
  redis.call('SET', KEYS[4], ARGV[5])
  redis.call('RPUSH', KEYS[5], ARGV[6])
  if ARGV[7] ~= '' then redis.call('ZADD', KEYS[6], ARGV[7], ARGV[1]) end
  for i = 8, #ARGV, 2 do redis.call('ZADD', KEYS[7], 'NX', ARGV[i], ARGV[i + 1]) end
  return ARGV[1]
end, function(reply)
  return reply
end)
