--[[
  Exposes a superevent to the public or hides it.

  Input:
    KEYS: superevent hash, logs.
    ARGV: '1' (expose) or '', log entry.
    Then, with a write mark: KEYS[last] the mark's key, ARGV[last] its TTL in seconds; without one ARGV[last] '0'
    (includes/marked.lua takes both off before the write runs).

  Output:
    Returns 'ok', 'same' (nothing to change, nothing logged) or 'missing'.
    {'marked', the mark's JSON} when the mark was already there: the write was done by an earlier run.
]]
--- @include "marked"

return marked(function()
  if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
  local exposed = redis.call('HGET', KEYS[1], 'exposed') == '1'
  if exposed == (ARGV[1] == '1') then return 'same' end
  if ARGV[1] == '1' then redis.call('HSET', KEYS[1], 'exposed', '1') else redis.call('HDEL', KEYS[1], 'exposed') end
  redis.call('RPUSH', KEYS[2], ARGV[2])
  return 'ok'
end, function(reply)
  return reply ~= 'missing' and reply or nil
end)
