--[[
  Replaces one log entry (its tags changed) if it is still the one the caller read: concurrent tag changes never
  overwrite each other, the loser reads again.

  Input:
    KEYS: logs list.
    ARGV: index from 0, entry as read, new entry.
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    Returns 1 when replaced, 0 when the entry changed meanwhile, -1 when there is no such entry.
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  local current = redis.call('LINDEX', KEYS[1], ARGV[1])
  if not current then return -1 end
  if current ~= ARGV[2] then return 0 end
  redis.call('LSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end, function(reply)
  return reply == 1 and reply or nil
end)
