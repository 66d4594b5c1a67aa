--[[
  field(rec, k): field `k` of a task-index search record ("\31k=value\31…"), '' when it has none.
]]
local function field(rec, k)
  local _, e = string.find(rec, '\31' .. k .. '=', 1, true)
  if not e then return '' end
  local stop = string.find(rec, '\31', e + 1, true)
  return string.sub(rec, e + 1, (stop or 0) - 1)
end
