--[[
  Deletes an idempotency key's claim only if it is still the one this request made: a resubmission that has taken it
  over since (same task ID, a claim of its own) keeps it (src/actions/idempotency.ts).

  Input:
    KEYS[1] the idempotency key

    ARGV[1] the claim this request stored

  Output:
    1 when deleted, 0 when the claim was another's (or gone).
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
