--[[
  Adds an audit record unless one of the newest entries is that very record (its time and task make it unique): a
  write sent again after its answer was lost is not written twice (src/audit/audit-log.ts). Nothing is written before
  the XADD, so a Redis out of memory refuses the whole script.

  Input:
    KEYS[1] the audit stream

    ARGV[1] the record
    ARGV[2] the stream's MAXLEN (approximate, `~`)
    ARGV[3] how many of the newest entries to look through

  Output:
    The ID of the new entry, or of the entry that already holds the record.
]]
local recent = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[3])
for _, entry in ipairs(recent) do
  if entry[2][2] == ARGV[1] then return entry[1] end
end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'entry', ARGV[1])
