--[[
  A write with a task's write mark (src/gracedb/embedded-write-mark.ts), checked and set in the same atomic step as
  the write: a command sent again after its answer was lost with the connection finds the mark and writes nothing.

  The caller appends the mark's TTL as the last ARGV ('0' without a mark) and, with one, the mark's key as the last
  KEYS; `marked` takes both off, so that `write` sees KEYS and ARGV without them. A mark already there means this write
  was done: the answer is {'marked', the mark's JSON}. Otherwise `write` runs, and when `recorded(reply)` is not nil
  the mark is set to {"written": recorded(reply)}; nil means the write was refused and leaves no mark, so a later run
  tries it again.
]]
local function marked(write, recorded)
  local ttl = table.remove(ARGV)
  local mark = nil
  if ttl ~= '0' then mark = table.remove(KEYS) end
  if mark then
    local seen = redis.call('GET', mark)
    if seen then return {'marked', seen} end
  end
  local reply = write()
  if mark then
    local written = recorded(reply)
    if written ~= nil then redis.call('SET', mark, cjson.encode({written = written}), 'EX', ttl) end
  end
  return reply
end
