--[[
  Gives a batch of the dashboard's task index its slots (src/task-index/task-index.ts, includes/trigrams.lua): a run
  of `count` slots, rounded up to whole bytes of the postings' bitmaps so that no two batches share a byte.

  Input:
    ARGV[1] base (the index's key prefix)
    ARGV[2] count

  Output:
    {the first slot, the slots per block (BLOCK)}
]]
--- @include "trigrams"
local n = math.ceil(tonumber(ARGV[2]) / 8) * 8
local next = redis.call('INCRBY', ARGV[1] .. ':seq', n)
return {next - n, BLOCK}
