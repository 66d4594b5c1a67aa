--[[
  remove_one(base, id): takes task `id` out of the task index under `base` (its record, its search text, its version
  and every index that lists it); 1 when it was indexed, else 0. Its trigram bits stay until its block has no task
  left, and then the block's bitmaps go all at once (a bit holds no memory of its own; a slot whose record is gone is
  never a match, and slots are never reused).
]]
--- @include "trigrams"
local states = {'active', 'retrying', 'completed', 'failed'}
local function drop_block_task(base, block)
  local info = redis.call('HGET', base .. ':blk', block)
  if not info then return end
  local live, lo, hi = string.match(info, '^(%-?%d+) (%S+) (%S+)$')
  live = tonumber(live) - 1
  if live > 0 then
    redis.call('HSET', base .. ':blk', block, live .. ' ' .. lo .. ' ' .. hi)
    return
  end
  redis.call('HDEL', base .. ':blk', block)
  local list = base .. ':tk:' .. block
  local prefix = base .. ':tg:' .. block .. ':'
  local cursor = '0'
  repeat
    local reply = redis.call('SSCAN', list, cursor, 'COUNT', 1000)
    cursor = reply[1]
    for _, tri in ipairs(reply[2]) do redis.call('DEL', prefix .. tri) end
  until cursor == '0'
  redis.call('DEL', list)
end
local function remove_one(base, id)
  local ver = redis.call('HGET', base .. ':ver', id)
  local slot = ver and string.match(ver, ' (%d+)$')
  if slot then
    redis.call('HDEL', base .. ':rec', slot)
    drop_block_task(base, tostring(math.floor(tonumber(slot) / BLOCK)))
  end
  local doc = redis.call('HGET', base .. ':doc', id)
  if not doc then
    redis.call('ZREM', base .. ':idx:time', id)
    redis.call('HDEL', base .. ':ver', id)
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
