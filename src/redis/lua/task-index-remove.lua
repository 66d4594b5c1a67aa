--[[
  Removes tasks from the dashboard's task index (src/task-index/task-index.ts).

  Input:
    ARGV[1] base (the index's key prefix)
    ARGV[2..] task IDs

  Output:
    How many of them were indexed.
]]
--- @include "remove-one"

local removed = 0
for i = 2, #ARGV do removed = removed + remove_one(ARGV[1], ARGV[i]) end
return removed
