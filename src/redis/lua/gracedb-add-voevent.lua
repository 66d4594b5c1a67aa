--[[
  Adds a VOEvent as entry N (the caller's count plus one; 'retry' when another one came first), with its XML file and a
  log entry that carries it. KEYS: VOEvent list, file (version 0 of `{id}-{N}-{Type}.xml`), file versions hash, logs.

  Input:
    ARGV: N, entry, XML, file name, log entry. Returns N.
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  if redis.call('LLEN', KEYS[1]) ~= tonumber(ARGV[1]) - 1 then return 'retry' end
  redis.call('RPUSH', KEYS[1], ARGV[2])
  redis.call('HSET', KEYS[3], ARGV[4], 1)
  redis.call('SET', KEYS[2], ARGV[3])
  redis.call('RPUSH', KEYS[4], ARGV[5])
  return tonumber(ARGV[1])
end, function(reply)
  return reply ~= 'retry' and reply or nil
end)
