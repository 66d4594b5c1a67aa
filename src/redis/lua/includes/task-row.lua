--[[
  A row of the task index (src/task-index/task-index.ts): "<base>:rec" maps a slot (10 digits) to
  "<meta>\30<record>[\30<record lower-cased>]". The record is "\31t=<ms>\31i=<id>\31n=<name>…\31" in its own case;
  the lower-cased copy is there only when lower-casing changes more than ASCII letters (Lua lower-cases ASCII only).

  row_record(row): the record as written.
  row_search(row): the record lower-cased, what a search matches.
  row_value(row, pattern): the value of the record's field whose "\31<code>=" is `pattern` ('' when it has none),
    found in the row itself (no copy of the record).
]]
--- @include "field"
local function row_record(row)
  local z = string.find(row, '\30', 1, true)
  local y = string.find(row, '\30', z + 1, true)
  return string.sub(row, z + 1, (y or 0) - 1)
end
local function row_search(row)
  local z = string.find(row, '\30', 1, true)
  local y = string.find(row, '\30', z + 1, true)
  if y then return string.sub(row, y + 1) end
  return string.lower(string.sub(row, z + 1))
end
local function row_value(row, pattern)
  local _, e = string.find(row, pattern, string.find(row, '\30', 1, true), true)
  if not e then return '' end
  return string.sub(row, e + 1, (string.find(row, '\31', e + 1, true) or 0) - 1)
end
