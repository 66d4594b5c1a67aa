--[[
  Sends an alert into the outbox (src/alerts/outbox.ts): XADD and the sent counter in one step, unless this task
  already sent this alert. The counter goes with the alert (so /metrics never counts an alert that is not in the
  outbox), and a task picked up again after its worker died or Redis came back finds its own alert.

  Input:
    KEYS[1] the outbox stream
    KEYS[2] the sent counter (hash by alert_type)
    KEYS[3] the task's once mark ('' for none)

    ARGV[1] the stream's MAXLEN (approximate, `~`)
    ARGV[2] the once mark's TTL in seconds
    ARGV[3] alert_type
    ARGV[4..] the entry's field/value pairs

  Output:
    The new entry's ID; or, when the once mark was there, the first entry's ID prefixed with '='.
]]
local first = redis.call('GET', KEYS[3])
if first then return '=' .. first end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
if KEYS[3] ~= '' then redis.call('SET', KEYS[3], id, 'EX', ARGV[2]) end
return id
