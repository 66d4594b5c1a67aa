--[[
  The task index's trigram postings (src/task-index/task-index.ts). Each task holds a slot number, given once and
  never reused (task-index-reserve.lua); slots are grouped in blocks of BLOCK. A trigram (3 bytes of a search record,
  lower-cased) has one posting per block, "<base>:tg:<block>:<trigram>": the block's offsets (slot % BLOCK) of the
  tasks whose record holds it, as a list of 2-byte big-endian offsets while it has fewer than W / 2 of them, then as a
  bitmap of exactly W bytes (bit = offset). A list is never W bytes long, so the length tells which it is. A posting
  is always written whole with SET (a string grown in place by APPEND or SETRANGE is given twice the room it needs),
  except a bitmap's bits, set in place. "<base>:tk:<block>" lists the block's trigrams, 3 bytes each (to drop them
  with the block), and "<base>:blk" holds per block "live lowest highest version": tasks still indexed there, the
  range of their submission times, and the value of the counter "<base>:chg" when the block last changed (a write or
  a removal of one of its tasks).

  trigrams(text, out): adds every 3-byte window of `text` to the set `out` (a table trigram -> true).
  indexed_text(rec): what of a record is posted: after the time field, with the task ID cut to its first ID_PREFIX
    bytes. A search finds an ID from its start only (IDs are quoted by their beginning), and a random ID's trigrams
    were most of what each task posted.
  slot_member(n): slot number n as the 10 digits that name it in "<base>:rec" and in the sorted sets.
  offsets_of(list): the offsets in a list posting, as a table offset -> true.
  post(key, v, list, piece, at): adds offsets to the posting at `key` (whose value is `v`, false if none), given as
    `list` (2 bytes each; '' when that is half a bitmap or more) and, from a new batch, as `piece` too: bitmap bytes
    from byte `at` of the block, whose other bits are no other call's ('' for tasks indexed before: their bits are
    then set one by one). True when the posting is new.
]]
-- 4,048 bits: a bitmap of 506 bytes fills a 512-byte allocation with the string's header.
local BLOCK = 4048
local W = BLOCK / 8
local function trigrams(text, out)
  for i = 1, #text - 2 do out[string.sub(text, i, i + 2)] = true end
  return out
end
local ID_PREFIX = 4
local function indexed_text(rec)
  local start = string.find(rec, '\31', 2, true) or 1
  if string.sub(rec, start + 1, start + 2) ~= 'i=' then return string.sub(rec, start) end
  local e = string.find(rec, '\31', start + 3, true) or (#rec + 1)
  return string.sub(rec, start, math.min(e - 1, start + 2 + ID_PREFIX)) .. string.sub(rec, e)
end

local function slot_member(n)
  return string.format('%010d', n)
end
local function offsets_of(list)
  local set = {}
  for k = 1, #list - 1, 2 do set[string.byte(list, k) * 256 + string.byte(list, k + 1)] = true end
  return set
end
local ZEROS = string.rep('\0', W)
-- A list's offsets as a bitmap, built from its sorted offsets byte by byte.
local function to_bitmap(list)
  local offs = {}
  for k = 1, #list - 1, 2 do offs[#offs + 1] = string.byte(list, k) * 256 + string.byte(list, k + 1) end
  table.sort(offs)
  local parts, byte, done, cur = {}, -1, 0, 0
  for _, off in ipairs(offs) do
    local b = math.floor(off / 8)
    if b ~= byte then
      if byte >= 0 then
        parts[#parts + 1] = string.char(cur)
        done = byte + 1
      end
      if b > done then parts[#parts + 1] = string.sub(ZEROS, 1, b - done) end
      byte, cur = b, 0
    end
    cur = bit.bor(cur, bit.rshift(128, off % 8))
  end
  if byte >= 0 then
    parts[#parts + 1] = string.char(cur)
    done = byte + 1
  end
  parts[#parts + 1] = string.sub(ZEROS, 1, W - done)
  return table.concat(parts)
end
local function post(key, v, list, piece, at)
  local len = v and #v or 0
  if len == W and piece ~= '' then
    redis.call('SETRANGE', key, at, piece)
  elseif len == W then
    -- At most 1,000 bits per BITFIELD (Lua's unpack has a limit on arguments).
    local args = {}
    for off in pairs(offsets_of(list)) do
      args[#args + 1] = 'SET'
      args[#args + 1] = 'u1'
      args[#args + 1] = off
      args[#args + 1] = 1
      if #args >= 4000 then
        redis.call('BITFIELD', key, unpack(args))
        args = {}
      end
    end
    if #args > 0 then redis.call('BITFIELD', key, unpack(args)) end
  elseif list ~= '' and len + #list < W then
    if len > 0 then list = v .. list end
    redis.call('SET', key, list)
  else
    -- Half a bitmap's bytes or more: the posting becomes a bitmap.
    local bits = ZEROS
    if len > 0 then bits = to_bitmap(v) end
    if piece ~= '' then
      bits = string.sub(bits, 1, at) .. piece .. string.sub(bits, at + #piece + 1)
    elseif list ~= '' then
      bits = to_bitmap((v or '') .. list)
    end
    redis.call('SET', key, bits)
  end
  return len == 0
end
