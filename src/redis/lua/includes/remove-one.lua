--[[
  remove_one(base, id): takes task `id` out of the task index under `base` (its record, its search text, its version
  and every index that lists it); 1 when it was indexed, else 0.
]]
local states = {'active', 'retrying', 'completed', 'failed'}
local function remove_one(base, id)
  local doc = redis.call('HGET', base .. ':doc', id)
  if not doc then
    redis.call('ZREM', base .. ':idx:time', id)
    return 0
  end
  local ok, d = pcall(cjson.decode, doc)
  if ok and type(d) == 'table' then
    redis.call('ZREM', base .. ':idx:queue:' .. tostring(d.queue), id)
    redis.call('ZREM', base .. ':idx:name', tostring(d.name) .. '\1' .. string.format('%013d', 9999999999999 - tonumber(d.submittedAt or 0)) .. '\1' .. id)
  end
  redis.call('ZREM', base .. ':idx:time', id)
  redis.call('ZREM', base .. ':idx:runtime', id)
  for _, s in ipairs(states) do redis.call('ZREM', base .. ':idx:state:' .. s, id) end
  redis.call('HDEL', base .. ':doc', id)
  redis.call('HDEL', base .. ':text', id)
  redis.call('HDEL', base .. ':ver', id)
  return 1
end
