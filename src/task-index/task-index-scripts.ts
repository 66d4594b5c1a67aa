// Lua scripts of the dashboard's task index: upsert (newest event wins), remove, trim, and a chunked filtered scan.

/** Reads field `k` of a search record ("\31k=value\31…"); shared by the scripts below. */
const FIELD = `
local function field(rec, k)
  local _, e = string.find(rec, '\\31' .. k .. '=', 1, true)
  if not e then return '' end
  local stop = string.find(rec, '\\31', e + 1, true)
  return string.sub(rec, e + 1, (stop or 0) - 1)
end
`;

const REMOVE_ONE = `
local states = {'active', 'retrying', 'completed', 'failed'}
local function remove_one(base, id)
  local doc = redis.call('HGET', base .. ':doc', id)
  if not doc then
    redis.call('ZREM', base .. ':idx:time', id)
    return 0
  end
  local ok, d = pcall(cjson.decode, doc)
  if ok and type(d) == 'table' then
    redis.call('ZREM', base .. ':idx:queue:' .. tostring(d.queue), id)
    redis.call('ZREM', base .. ':idx:name', tostring(d.name) .. '\\1' .. string.format('%013d', 9999999999999 - tonumber(d.submittedAt or 0)) .. '\\1' .. id)
  end
  redis.call('ZREM', base .. ':idx:time', id)
  redis.call('ZREM', base .. ':idx:runtime', id)
  for _, s in ipairs(states) do redis.call('ZREM', base .. ':idx:state:' .. s, id) end
  redis.call('HDEL', base .. ':doc', id)
  redis.call('HDEL', base .. ':text', id)
  redis.call('HDEL', base .. ':ver', id)
  return 1
end
`;

/**
 * ARGV: base, where the history counters start (h), then 9 values per task: id, version, state, submittedAt,
 * runtimeMs ('' if unfinished), queue, name-index member, display JSON, search record; from h the history counters
 * written with them (one call for both): retention seconds, then per hash its key, its number of fields, and
 * field/increment pairs. A record older than the stored one (a late event from another worker) is skipped. Returns
 * the number of tasks written.
 */
export const UPSERT_SCRIPT = `
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
`;

/** ARGV: base, ids…; returns how many were indexed. */
export const REMOVE_SCRIPT = `${REMOVE_ONE}
local removed = 0
for i = 2, #ARGV do removed = removed + remove_one(ARGV[1], ARGV[i]) end
return removed
`;

/**
 * ARGV: base, cutoff (ms: older submissions go), cap per queue, most removals this call.
 * Removes by age first, then the oldest of each queue over the cap. Returns the number removed.
 */
export const TRIM_SCRIPT = `${REMOVE_ONE}
local base, cutoff, cap, budget = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local removed = 0
local old = redis.call('ZRANGEBYSCORE', base .. ':idx:time', '-inf', '(' .. cutoff, 'LIMIT', 0, budget)
for _, id in ipairs(old) do removed = removed + remove_one(base, id) end
for _, q in ipairs(redis.call('SMEMBERS', base .. ':queues')) do
  local key = base .. ':idx:queue:' .. q
  local excess = redis.call('ZCARD', key) - cap
  if excess > 0 and removed < budget then
    local ids = redis.call('ZRANGE', key, 0, math.min(excess, budget - removed) - 1)
    for _, id in ipairs(ids) do
      remove_one(base, id)
      redis.call('ZREM', key, id)
      removed = removed + 1
    end
  end
end
return removed
`;

/**
 * Walks an index by rank and keeps the IDs whose search record matches every term.
 * KEYS: index, search-record hash. ARGV: reverse (1/0), first rank, last rank, most candidates to look at,
 * most matches to return (0 = only count), time window from / to ('' = open), then term pairs (field code or '', text).
 * Returns {next rank or -1 when done, matches counted, id…}. Members of the name index are "name\\1<13 digits>\\1id".
 */
export const SCAN_SCRIPT = `${FIELD}
local reverse, first, last, budget, want = ARGV[1] == '1', tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local from, to = tonumber(ARGV[6]), tonumber(ARGV[7])
local terms = {}
for i = 8, #ARGV, 2 do terms[#terms + 1] = {ARGV[i], ARGV[i + 1]} end
local stop = math.min(last, first + budget - 1)
local members
if reverse then members = redis.call('ZRANGE', KEYS[1], first, stop, 'REV') else members = redis.call('ZRANGE', KEYS[1], first, stop) end
local out = {0, 0}
local count = 0
local rank = first
for _, member in ipairs(members) do
  rank = rank + 1
  local id = member
  local z = string.find(member, '\\1', 1, true)
  if z then id = string.sub(member, z + 15) end
  local rec = redis.call('HGET', KEYS[2], id)
  local ok = rec ~= false
  if ok and (from or to) then
    local t = tonumber(field(rec, 't')) or 0
    if (from and t < from) or (to and t > to) then ok = false end
  end
  if ok then
    for _, term in ipairs(terms) do
      local code, text = term[1], term[2]
      if code == '' then
        -- Free text starts after the leading time field.
        if not string.find(rec, text, (string.find(rec, '\\31', 2, true) or 1), true) then ok = false break end
      elseif code == 's' then
        if field(rec, 's') ~= text then ok = false break end
      elseif not string.find(field(rec, code), text, 1, true) then ok = false break end
    end
  end
  if ok then
    count = count + 1
    if count <= want then out[#out + 1] = id end
    if want > 0 and count >= want then break end
  end
end
if rank > last or #members == 0 then out[1] = -1 else out[1] = rank end
out[2] = count
return out
`;
