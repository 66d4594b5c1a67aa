--[[
  Writes tasks into the dashboard's task index (src/task-index/task-index.ts), newest event wins: a row older than
  the stored one (a late event from another worker) is skipped. The history counters written with them go in the
  same call (one round trip for both). Rows and trigram postings (includes/trigrams.lua) are written together, so
  they never disagree.

  The batch's tasks take the slots s0 + position (task-index-reserve.lua gave them); the caller builds each trigram's
  postings in each block the batch reaches: its offsets there, and its bits over the batch's own bytes (for a posting
  that is already a bitmap). Only a task new to the index uses its slot; one indexed before keeps its own and has its
  trigrams added there here (a slot without a row never matches).

  Input:
    ARGV[1] base (the index's key prefix)
    ARGV[2] h: where the history counters start
    ARGV[3] p: where the postings start
    ARGV[4] s0, the batch's first slot
    ARGV[5..p-1] 5 values per task, each task once: id, version, submittedAt, runtimeMs ('' if unfinished), row
                 (includes/task-row.lua)
    ARGV[p..h-1] per block the batch reaches, 5 values: the block, the byte its bits start at, k, w, then one
                 string of k trigrams, each as: its 3 bytes, its bitmap bytes from there (w bytes), the length of its
                 list of offsets (2 bytes: 0 when the list would be half a bitmap or more), the list (2 bytes each)
    ARGV[h] the history counters' retention in seconds
    ARGV[h+1..] per history hash: its key, its number of fields, then field/increment pairs

  Output:
    The number of tasks written.
]]
--- @include "remove-one"
local base, h, p = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local written = 0
local s0 = tonumber(ARGV[4])
-- Per block touched: {new tasks, lowest and highest submission time}; its trigrams written ("block" -> list).
local blocks, lists = {}, {}
-- Trigrams of tasks indexed before: "block\0trigram" -> offsets (2 bytes each).
local postings = {}
-- Count field -> change.
local counts = {}

local function listed(block, tri)
  local list = lists[block]
  if not list then
    list = {}
    lists[block] = list
  end
  list[#list + 1] = tri
end
local COUNTED = {{'s:', '\31s='}, {'q:', '\31q='}, {'n:', '\31n='}}
local function counted(row, by)
  for _, k in ipairs(COUNTED) do
    local name = k[1] .. row_value(row, k[2])
    counts[name] = (counts[name] or 0) + by
  end
end

-- Commands with many arguments, sent at most 1,000 pairs at a time (Lua's unpack has a limit on arguments):
-- {command, key, arguments}.
local bulk = {}
local function list_for(command, key)
  local name = command .. key
  local entry = bulk[name]
  if not entry then
    entry = {command, key, {}}
    bulk[name] = entry
  end
  return entry[3]
end
local function add(list, a, b)
  list[#list + 1] = a
  list[#list + 1] = b
end
local verL, recL = list_for('HSET', base .. ':ver'), list_for('HSET', base .. ':rec')
local timeL, runL = list_for('ZADD', base .. ':idx:time'), list_for('ZADD', base .. ':idx:runtime')

local ids = {}
for i = 5, p - 1, 5 do ids[#ids + 1] = ARGV[i] end
local versions = {}
for i = 1, #ids, 1000 do
  local got = redis.call('HMGET', base .. ':ver', unpack(ids, i, math.min(#ids, i + 999)))
  for j = 1, #got do versions[i + j - 1] = got[j] end
end

for i = 5, p - 1, 5 do
  local position = (i - 5) / 5
  local id, version, t, runtime, row = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local current = versions[position + 1]
  local stored, slot = nil, nil
  if current then stored, slot = string.match(current, '^(%S+) (%d+)$') end
  if not slot or tonumber(stored) <= tonumber(version) then
    local new = not slot
    if new then slot = slot_member(s0 + position) end
    local block = string.format('%d', math.floor(tonumber(slot) / BLOCK))
    local b = blocks[block]
    local time = tonumber(t)
    if not b then
      b = {0, time, time}
      blocks[block] = b
    end
    if new then b[1] = b[1] + 1 end
    if time < b[2] then b[2] = time end
    if time > b[3] then b[3] = time end
    local state = row_value(row, '\31s=')
    if not new then
      local offset = tonumber(slot) % BLOCK
      for tri in pairs(trigrams(indexed_text(row_search(row)), {})) do
        local key = block .. '\0' .. tri
        local list = postings[key]
        if not list then
          list = {}
          postings[key] = list
        end
        list[#list + 1] = string.char(math.floor(offset / 256), offset % 256)
      end
      local old = redis.call('HGET', base .. ':rec', slot)
      if old then
        counted(old, -1)
        local was = row_value(old, '\31s=')
        if was ~= state and RARE_STATES[was] then redis.call('ZREM', base .. ':idx:state:' .. was, slot) end
      end
      if runtime == '' then redis.call('ZREM', base .. ':idx:runtime', slot) end
    end
    counted(row, 1)
    add(verL, id, version .. ' ' .. slot)
    add(recL, slot, row)
    add(timeL, t, slot)
    if RARE_STATES[state] then add(list_for('ZADD', base .. ':idx:state:' .. state), t, slot) end
    if runtime ~= '' then add(runL, runtime, slot) end
    written = written + 1
  end
end
for _, entry in pairs(bulk) do
  local command, key, list = entry[1], entry[2], entry[3]
  for i = 1, #list, 2000 do redis.call(command, key, unpack(list, i, math.min(#list, i + 1999))) end
end
for name, by in pairs(counts) do
  if by ~= 0 and redis.call('HINCRBY', base .. ':cnt', name, by) <= 0 then redis.call('HDEL', base .. ':cnt', name) end
end

for j = p, h - 1, 5 do
  local block, at, k, width, packed = ARGV[j], tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2]), tonumber(ARGV[j + 3]), ARGV[j + 4]
  local prefix = base .. ':tg:' .. block .. ':'
  local pos = 1
  -- The postings as they are, read 1,000 at a time (Lua's unpack has a limit on arguments).
  for g = 1, k, 1000 do
    local keys, tris, pieces, lists = {}, {}, {}, {}
    for n = 1, math.min(1000, k - g + 1) do
      local tri = string.sub(packed, pos, pos + 2)
      local piece = string.sub(packed, pos + 3, pos + 2 + width)
      local e = pos + 3 + width
      local length = string.byte(packed, e) * 256 + string.byte(packed, e + 1)
      tris[n], pieces[n], lists[n] = tri, piece, string.sub(packed, e + 2, e + 1 + length)
      keys[n] = prefix .. tri
      pos = e + 2 + length
    end
    local got = redis.call('MGET', unpack(keys))
    for n, key in ipairs(keys) do
      if post(key, got[n], lists[n], pieces[n], at) then listed(block, tris[n]) end
    end
  end
end
for key, offsets in pairs(postings) do
  local z = string.find(key, '\0', 1, true)
  local block, tri = string.sub(key, 1, z - 1), string.sub(key, z + 1)
  local key = base .. ':tg:' .. block .. ':' .. tri
  if post(key, redis.call('GET', key), table.concat(offsets), '') then listed(block, tri) end
end
for block, list in pairs(lists) do redis.call('APPEND', base .. ':tk:' .. block, table.concat(list)) end
-- Every block this call changed takes a new version (a search's cached matches for a block hold while it has not).
local version = redis.call('INCR', base .. ':chg')
-- A new counter (a new index, or one emptied by hand): a new epoch, so that nothing cached from before holds.
if version == 1 then
  local now = redis.call('TIME')
  redis.call('SET', base .. ':epoch', now[1] .. now[2])
end
for block, b in pairs(blocks) do
  local info = redis.call('HGET', base .. ':blk', block)
  if info then
    local live, lo, hi = string.match(info, '^(%-?%d+) (%S+) (%S+)')
    b[1] = b[1] + tonumber(live)
    b[2] = math.min(b[2], tonumber(lo))
    b[3] = math.max(b[3], tonumber(hi))
  end
  redis.call('HSET', base .. ':blk', block, string.format('%d %d %d %d', b[1], b[2], b[3], version))
end

local i = h + 1
while i <= #ARGV do
  local key, n = ARGV[i], tonumber(ARGV[i + 1])
  for j = i + 2, i + 2 * n, 2 do redis.call('HINCRBY', key, ARGV[j], ARGV[j + 1]) end
  redis.call('EXPIRE', key, ARGV[h])
  i = i + 2 + 2 * n
end
return written
