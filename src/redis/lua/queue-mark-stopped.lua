--[[
  A worker's clean stop marked after the fact (src/queue/heartbeats.ts): only if its record is still that of the same
  run (its start time) and it is not alive, so that a worker started again under the same name since then is not
  marked.

  Input:
    KEYS[1] the worker's alive key
    KEYS[2] the worker's info key

    ARGV[1] the stopped run's startedAt
    ARGV[2] the record marked 'stopped' (JSON)
    ARGV[3] its TTL in seconds

  Output:
    1 when marked, 0 when the record was another run's, missing, unreadable or the worker is alive.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local raw = redis.call('GET', KEYS[2])
if not raw then return 0 end
local ok, info = pcall(cjson.decode, raw)
if not ok or type(info) ~= 'table' or info.startedAt ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1
