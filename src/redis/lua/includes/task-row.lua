--[[
  A row of the task index (src/task-index/task-index.ts): "<base>:rec" maps a slot (10 digits) to
  "<meta>\30<record>[\30<record lower-cased>]". The record is "\31t=<ms>\31i=<id>\31n=<name>…\31" in its own case;
  the lower-cased copy is there only when lower-casing changes more than ASCII letters (Lua lower-cases ASCII only).

  row_record(row): the record as written.
  row_search(row): the record lower-cased, what a search matches.
  row_value(row, pattern): the value of the record's field whose "\31<code>=" is `pattern` ('' when it has none),
    found in the row itself (no copy of the record).
  matches(low, code, text): whether a record (lower-cased) holds `text` lower-cased in field `code` ('' = free
    text, after the time field). The task ID ("i") is matched from its start only, by free text as by `id:` (IDs are
    quoted by their beginning; a few letters found inside random IDs would only be noise); the state ("s") whole.
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
local function matches(low, code, text)
  if code == '' then
    local id = field(low, 'i')
    if string.sub(id, 1, #text) == text then return true end
    -- Free text starts after the leading time field; the ID's own text is skipped.
    local _, e = string.find(low, '\31i=', 1, true)
    local from = e and e + #id + 1 or string.find(low, '\31', 2, true) or 1
    return string.find(low, text, from, true) ~= nil
  end
  local value = field(low, code)
  if code == 'i' then return string.sub(value, 1, #text) == text end
  if code == 's' then return value == text end
  return string.find(value, text, 1, true) ~= nil
end
