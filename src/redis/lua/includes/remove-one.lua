--[[
  Taking tasks out of the task index under `base` (src/task-index/task-index.ts).

  count_row(base, record, by): adds `by` to the counts of a record's state, queue and name ("<base>:cnt", fields
  "s:<state>", "q:<queue>", "n:<name>"; a count that falls to 0 is deleted, so the fields list what is indexed).
  remove_slot(base, slot): takes the task in `slot` (10 digits) out: its row, its version, its counts and every sorted
  set that lists it; 1 when there was one, else 0. Its trigram bits stay until its block has no task left, and then the
  block's bitmaps go all at once (a bit holds no memory of its own; a slot whose row is gone is never a match, and
  slots are never reused).
  remove_one(base, id): the same by task ID.
]]
--- @include "trigrams"
--- @include "task-row"
-- States with a sorted set of their own: the rare ones (a completed task is found by walking the time index).
local RARE_STATES = {active = true, retrying = true, failed = true}
local function count_row(base, record, by)
  for _, k in ipairs({'s', 'q', 'n'}) do
    local name = k .. ':' .. field(record, k)
    if redis.call('HINCRBY', base .. ':cnt', name, by) <= 0 then redis.call('HDEL', base .. ':cnt', name) end
  end
end
local function drop_block_task(base, block)
  local info = redis.call('HGET', base .. ':blk', block)
  if not info then return end
  local live, lo, hi = string.match(info, '^(%-?%d+) (%S+) (%S+)')
  live = tonumber(live) - 1
  if live > 0 then
    redis.call('HSET', base .. ':blk', block, live .. ' ' .. lo .. ' ' .. hi .. ' ' .. redis.call('INCR', base .. ':chg'))
    return
  end
  redis.call('HDEL', base .. ':blk', block)
  local list = base .. ':tk:' .. block
  local prefix = base .. ':tg:' .. block .. ':'
  local tris = redis.call('GET', list) or ''
  -- 1,000 keys per DEL (Lua's unpack has a limit on arguments).
  for from = 1, #tris, 3000 do
    local keys = {}
    for k = from, math.min(#tris, from + 2999), 3 do keys[#keys + 1] = prefix .. string.sub(tris, k, k + 2) end
    redis.call('DEL', unpack(keys))
  end
  redis.call('DEL', list)
end
local function remove_slot(base, slot)
  local row = redis.call('HGET', base .. ':rec', slot)
  if not row then return 0 end
  local record = row_record(row)
  count_row(base, record, -1)
  redis.call('HDEL', base .. ':rec', slot)
  redis.call('HDEL', base .. ':ver', field(record, 'i'))
  redis.call('ZREM', base .. ':idx:time', slot)
  redis.call('ZREM', base .. ':idx:runtime', slot)
  local state = field(record, 's')
  if RARE_STATES[state] then redis.call('ZREM', base .. ':idx:state:' .. state, slot) end
  drop_block_task(base, tostring(math.floor(tonumber(slot) / BLOCK)))
  return 1
end
local function remove_one(base, id)
  local ver = redis.call('HGET', base .. ':ver', id)
  local slot = ver and string.match(ver, ' (%d+)$')
  if not slot then return 0 end
  return remove_slot(base, slot)
end
