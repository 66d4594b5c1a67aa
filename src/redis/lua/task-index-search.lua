--[[
  Finds the dashboard's tasks that match a search through the trigram postings (src/task-index/task-index.ts,
  includes/trigrams.lua): in each block given, the intersection of the postings of every trigram of every term gives
  the candidates, and each candidate's row is then checked as the scan does (substrings, fields, state). The caller
  keeps what a block gave while the block's version is unchanged, and applies the time window itself.

  Input:
    ARGV[1] base (the index's key prefix)
    ARGV[2] mode: 'count' (only count candidates) or 'match' (check them)
    ARGV[3] n, the number of blocks given
    ARGV[4..3+n] the blocks to look in, in that order
    ARGV[4+n] budget: 'count' stops once more candidates than this are seen; 'match' stops after the block where
              this many candidates have been checked
    ARGV[5+n] state the task must be in ('' = any)
    ARGV[6+n] what the caller sorts by: 'time', 'runtime' or 'name'
    ARGV[7+n..] term pairs: field code or '', text (lower-cased; a term shorter than 3 bytes has no trigram and is only
              checked)

  Output:
    'count': {blocks looked in, candidates}
    'match': {blocks looked in, then per block: the block, its candidates, k matches, then per match: slot (10
             digits), submission time, sort value (the runtime, or the name; '' for time)}
]]
--- @include "trigrams"
--- @include "task-row"

local base, mode, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
local budget, state, sort = tonumber(ARGV[4 + n]), ARGV[5 + n], ARGV[6 + n]
-- The trigram sets whose postings give the candidates: one per way the terms may match. A term is found by its own
-- trigrams, or, as an ID's start (includes/task-row.lua matches), by those of "\31i=" and its first ID_PREFIX bytes
-- (all an ID posts): both for free text longer than that (shorter, its own trigrams are within the ID's posted start),
-- only the latter for `id:`. The ways multiply per such term; past 8, a term adds none (its matches are still checked).
local terms, ways = {}, {{}}
for i = 7 + n, #ARGV, 2 do
  local code, text = ARGV[i], ARGV[i + 1]
  terms[#terms + 1] = {code, text}
  local start = function() return trigrams('\31i=' .. string.sub(text, 1, ID_PREFIX), {}) end
  local choices = {code == 'i' and start() or trigrams(text, {})}
  if code == '' and #text > ID_PREFIX then choices[2] = start() end
  if #ways * #choices <= 8 then
    local next_ways = {}
    for _, way in ipairs(ways) do
      for _, choice in ipairs(choices) do
        local union = {}
        for tri in pairs(way) do union[tri] = true end
        for tri in pairs(choice) do union[tri] = true end
        next_ways[#next_ways + 1] = union
      end
    end
    ways = next_ways
  end
end
for k, way in ipairs(ways) do
  local list = {}
  for tri in pairs(way) do list[#list + 1] = tri end
  ways[k] = list
end

local scratch = base .. ':scratch'
local seen = 0
local out = {0}

-- The candidates of a block (their offsets there) and how many there are; counting bitmaps alone, only how many. A
-- block where a trigram has no posting has none. Bitmaps are ANDed into the scratch key (deleted before the end); with
-- lists, the shortest list's offsets are the ones looked at, kept when their bits are set and the other lists hold
-- their two bytes (found anywhere in a list: a few more candidates, all checked after).
local function candidates_of(b, counting, tris)
  local bitkeys, lists = {}, {}
  for _, tri in ipairs(tris) do
    local key = base .. ':tg:' .. b .. ':' .. tri
    local len = redis.call('STRLEN', key)
    if len == 0 then return 0, {} end
    if len == W then bitkeys[#bitkeys + 1] = key else lists[#lists + 1] = key end
  end
  local key = bitkeys[1]
  if #bitkeys > 1 then
    -- Refused when Redis is out of memory: one trigram's bitmap then stands for them all (more candidates, checked alike).
    local done = redis.pcall('BITOP', 'AND', scratch, unpack(bitkeys))
    if not (type(done) == 'table' and done.err) then key = scratch end
  end
  local offsets = {}
  if #lists == 0 then
    if counting then return redis.call('BITCOUNT', key), offsets end
    local bits = redis.call('GET', key) or ''
    local i = string.find(bits, '[^%z]')
    while i do
      local byte = string.byte(bits, i)
      for j = 0, 7 do
        if bit.band(byte, bit.rshift(128, j)) ~= 0 then offsets[#offsets + 1] = (i - 1) * 8 + j end
      end
      i = string.find(bits, '[^%z]', i + 1)
    end
    return #offsets, offsets
  end
  for k, list in ipairs(lists) do lists[k] = redis.call('GET', list) end
  table.sort(lists, function(x, y) return #x < #y end)
  local bits = key and redis.call('GET', key)
  local list, met = lists[1], {}
  for k = 1, #list - 1, 2 do
    local pair = string.sub(list, k, k + 1)
    local off = string.byte(pair, 1) * 256 + string.byte(pair, 2)
    if not met[off] then
      met[off] = true
      local ok = true
      if bits then ok = bit.band(string.byte(bits, math.floor(off / 8) + 1) or 0, bit.rshift(128, off % 8)) ~= 0 end
      for m = 2, #lists do
        if ok and not string.find(lists[m], pair, 1, true) then ok = false end
      end
      if ok then offsets[#offsets + 1] = off end
    end
  end
  return #offsets, offsets
end

-- The candidates of every way, together (counted: the sum, a bound).
local function candidates(b, counting)
  if #ways == 1 then return candidates_of(b, counting, ways[1]) end
  local total, met, offsets = 0, {}, {}
  for _, tris in ipairs(ways) do
    local count, found = candidates_of(b, counting, tris)
    total = total + count
    for _, off in ipairs(found) do
      if not met[off] then
        met[off] = true
        offsets[#offsets + 1] = off
      end
    end
  end
  if counting then return total, offsets end
  table.sort(offsets)
  return #offsets, offsets
end

-- `row` is a whole row (includes/task-row.lua).
local function check(row)
  local z = string.find(row, '\30', 1, true)
  local y = string.find(row, '\30', z + 1, true)
  local rec = string.sub(row, z + 1, (y or 0) - 1)
  if state ~= '' and field(rec, 's') ~= state then return false end
  local low = y and string.sub(row, y + 1) or string.lower(rec)
  for _, term in ipairs(terms) do
    if not matches(low, term[1], term[2]) then return false end
  end
  return rec
end

local function keep(found, slot, rec)
  local value = ''
  if sort == 'runtime' then
    value = redis.call('ZSCORE', base .. ':idx:runtime', slot)
    if not value then return end
  elseif sort == 'name' then
    value = field(rec, 'n')
  end
  found[#found + 1] = slot
  found[#found + 1] = field(rec, 't')
  found[#found + 1] = value
end

local done = 0
for k = 4, 3 + n do
  local block = ARGV[k]
  local count, offsets = candidates(block, mode == 'count')
  seen = seen + count
  done = done + 1
  if mode == 'match' then
    -- Rows read 200 at a time.
    local found = {}
    for g = 1, #offsets, 200 do
      local slots = {}
      for m = g, math.min(#offsets, g + 199) do slots[#slots + 1] = slot_member(tonumber(block) * BLOCK + offsets[m]) end
      local rows = redis.call('HMGET', base .. ':rec', unpack(slots))
      for m, slot in ipairs(slots) do
        local rec = rows[m] and check(rows[m])
        if rec then keep(found, slot, rec) end
      end
    end
    out[#out + 1] = block
    out[#out + 1] = count
    out[#out + 1] = #found / 3
    for _, value in ipairs(found) do out[#out + 1] = value end
  end
  if seen > budget then break end
end
redis.call('DEL', scratch)
if mode == 'count' then return {done, seen} end
out[1] = done
return out
