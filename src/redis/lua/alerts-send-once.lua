--[[
  Sends an alert into the outbox (src/alerts/outbox.ts): XADD and the sent counter in one step, unless the alert was
  sent already under its once mark. The counter goes with the alert (so /metrics never counts an alert that is not in
  the outbox), and a task picked up again after its worker died or Redis came back finds its own alert.

  Input:
    KEYS[1] the outbox stream
    KEYS[2] the sent counter (hash by alert_type)
    KEYS[3] the once mark: the task's, or the superevent's for an alert sent once per superevent ('' for none)
    KEYS[4] optional: the sending task's own mark, beside a superevent's once mark ('' or absent for none)

    ARGV[1] the stream's MAXLEN (approximate, `~`)
    ARGV[2] the once marks' TTL in seconds
    ARGV[3] alert_type
    ARGV[4..] the entry's field/value pairs

  Output:
    The new entry's ID; when the once mark was there, the first entry's ID prefixed with '=' (sent by this task: its
    own mark holds that ID, or none was given) or with '+' (sent by another task).
]]
local mine = KEYS[4] or ''
local first = redis.call('GET', KEYS[3])
if first then
  if mine == '' or redis.call('GET', mine) == first then return '=' .. first end
  return '+' .. first
end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
if KEYS[3] ~= '' then redis.call('SET', KEYS[3], id, 'EX', ARGV[2]) end
if mine ~= '' then redis.call('SET', mine, id, 'EX', ARGV[2]) end
return id
