--[[
  The task index's trigram postings (src/task-index/task-index.ts). Each task holds a slot number, given once and
  never reused; slots are grouped in blocks of BLOCK. A trigram (3 bytes of a search record, lower-cased) has one
  bitmap per block, "<base>:tg:<block>:<trigram>", bit = slot % BLOCK, so a query's candidates in a block are the AND
  of its trigrams' bitmaps. "<base>:tk:<block>" lists the block's trigrams (to drop them with the block) and
  "<base>:blk" holds per block "live lowest highest": tasks still indexed there and the range of their submission times.

  trigrams(text, out): adds every 3-byte window of `text` to the set `out` (a table trigram -> true).
  indexed_text(rec): the part of a record that free text matches: after the time field.
  slot_member(n): slot number n as the 10 digits that name it in "<base>:rec" and in the sorted sets.
]]
local BLOCK = 4096
local function trigrams(text, out)
  for i = 1, #text - 2 do out[string.sub(text, i, i + 2)] = true end
  return out
end
local function indexed_text(rec)
  local start = string.find(rec, '\31', 2, true) or 1
  return string.sub(rec, start)
end
local function slot_member(n)
  return string.format('%010d', n)
end
