--[[
  Releases a lock only if this holder still has it: a lock that expired and was taken by another is left to that
  holder (src/tasks/redis-lock.ts).

  Input:
    KEYS[1] the lock

    ARGV[1] this holder's token

  Output:
    1 when released, 0 when the lock was another's (or gone).
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end
