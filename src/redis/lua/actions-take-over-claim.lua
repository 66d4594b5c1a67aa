--[[
  Takes over an idempotency key's pending claim, only if it is still the one that was read: two resubmissions cannot
  both take it over (src/actions/idempotency.ts).

  Input:
    KEYS[1] the idempotency key

    ARGV[1] the claim as it was read
    ARGV[2] the new claim
    ARGV[3] TTL in seconds

  Output:
    'OK' when taken over, nil (false) when the claim had changed.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
return false
