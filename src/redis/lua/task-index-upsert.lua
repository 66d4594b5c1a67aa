--[[
  Writes tasks into the dashboard's task index (src/task-index/task-index.ts), newest event wins: a record older than
  the stored one (a late event from another worker) is skipped. The history counters written with them go in the
  same call (one round trip for both).

  Input:
    ARGV[1] base (the index's key prefix)
    ARGV[2] h: where the history counters start
    ARGV[3..h-1] 9 values per task: id, version, state, submittedAt, runtimeMs ('' if unfinished), queue, name-index
                 member, display JSON, search record
    ARGV[h] the history counters' retention in seconds
    ARGV[h+1..] per history hash: its key, its number of fields, then field/increment pairs

  Output:
    The number of tasks written.
]]
local base, h = ARGV[1], tonumber(ARGV[2])
local states = {'active', 'retrying', 'completed', 'failed'}
local written = 0
for i = 3, h - 1, 9 do
  local id, version, state, t, runtime, queue, member, doc, text =
    ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7], ARGV[i + 8]
  local current = redis.call('HGET', base .. ':ver', id)
  if not current or tonumber(current) <= tonumber(version) then
    redis.call('HSET', base .. ':ver', id, version)
    redis.call('HSET', base .. ':doc', id, doc)
    redis.call('HSET', base .. ':text', id, text)
    redis.call('ZADD', base .. ':idx:time', t, id)
    redis.call('ZADD', base .. ':idx:queue:' .. queue, t, id)
    redis.call('SADD', base .. ':queues', queue)
    redis.call('ZADD', base .. ':idx:name', 0, member)
    for _, s in ipairs(states) do
      if s ~= state then redis.call('ZREM', base .. ':idx:state:' .. s, id) end
    end
    redis.call('ZADD', base .. ':idx:state:' .. state, t, id)
    if runtime ~= '' then redis.call('ZADD', base .. ':idx:runtime', runtime, id) end
    written = written + 1
  end
end
local i = h + 1
while i <= #ARGV do
  local key, n = ARGV[i], tonumber(ARGV[i + 1])
  for j = i + 2, i + 2 * n, 2 do redis.call('HINCRBY', key, ARGV[j], ARGV[j + 1]) end
  redis.call('EXPIRE', key, ARGV[h])
  i = i + 2 + 2 * n
end
return written
