--[[
  Replaces an event's file and the facts read from it (GraceDB's PUT on an event): a new version of the file, the
  new facts, a log entry. KEYS: event hash, file (the new version), logs list, by-gpstime zset.

  Input:
    ARGV: graceid, data, file bytes, log entry, gpstime ('' when it has none). Returns 'ok' or 'missing'.
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
  redis.call('HSET', KEYS[1], 'data', ARGV[2])
  redis.call('SET', KEYS[2], ARGV[3])
  redis.call('RPUSH', KEYS[3], ARGV[4])
  if ARGV[5] ~= '' then redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1]) else redis.call('ZREM', KEYS[4], ARGV[1]) end
  return 'ok'
end, function(reply)
  return reply == 'ok' and reply or nil
end)
