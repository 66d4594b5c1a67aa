--[[
  Appends a log entry, with its file when it has one, as one step.

  Input:
    KEYS: logs list, [file key].
    ARGV: log entry, file bytes ('' without a file), '1' when there is a file.
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    Returns the entry's number (N).
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  if ARGV[3] == '1' then redis.call('SET', KEYS[2], ARGV[2]) end
  return redis.call('RPUSH', KEYS[1], ARGV[1])
end, function(reply)
  return reply
end)
