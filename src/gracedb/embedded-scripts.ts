// Lua scripts that make the embedded GraceDB's multi-key changes atomic, so concurrent workers never both claim an event.
//
// Labels and superevent members are ZSETs scored from one INCR counter (the "order" key) rather than the clock,
// so they list in the order they were applied even within one millisecond.
//
// Every write script is `marked`: it may carry a task's write mark (embedded-write-mark.ts), checked and set in the
// same atomic step as the write. A worker's connection sends a command again when its answer was lost with the
// connection (Redis ran it, then died or was cut off before answering); the second run finds the mark and writes
// nothing.

/**
 * Wraps a write script. The caller appends the mark's TTL as the last ARGV ('0' without a mark) and, with one, the
 * mark's key as the last KEY; the body sees KEYS and ARGV without them. A mark already there means this write was
 * done: the answer is {'marked', the mark's JSON}. Otherwise the body runs, and when `recorded` (a Lua expression of
 * the body's `reply`) is not nil, the mark is set to {"written": recorded}; nil means the write was refused and
 * leaves no mark, so a later run tries it again.
 */
function marked(body: string, recorded: string): string {
  return `
local ttl = table.remove(ARGV)
local mark = nil
if ttl ~= '0' then mark = table.remove(KEYS) end
if mark then
  local seen = redis.call('GET', mark)
  if seen then return {'marked', seen} end
end
local function write()
${body.trim()}
end
local reply = write()
if mark then
  local written = ${recorded}
  if written ~= nil then redis.call('SET', mark, cjson.encode({written = written}), 'EX', ttl) end
end
return reply
`;
}

/**
 * Stores a new event with its file, its "Original Data" log entry and its labels.
 * KEYS: event hash, events zset, file versions hash, file, logs list, by-gpstime zset, labels zset.
 * ARGV: graceid, data, seq, filename, file bytes, log entry, gpstime ('' when it has none), then score, label pairs.
 * Returns the graceid.
 */
export const CREATE_EVENT = marked(
  `
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'seq', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[4], 1)
redis.call('SET', KEYS[4], ARGV[5])
redis.call('RPUSH', KEYS[5], ARGV[6])
if ARGV[7] ~= '' then redis.call('ZADD', KEYS[6], ARGV[7], ARGV[1]) end
for i = 8, #ARGV, 2 do redis.call('ZADD', KEYS[7], 'NX', ARGV[i], ARGV[i + 1]) end
return ARGV[1]
`,
  'reply',
);

/**
 * Creates a superevent and claims its events, or nothing at all when one of them already belongs to a superevent.
 * KEYS: superevent hash, superevents zset, by-t0 zset, labels zset, logs list, order counter, pipeline-preferred hash,
 *       then (event hash, member zset) per event.
 * ARGV: id, data, t_start, t_0, t_end, preferred_event, seq, log entry, labels (JSON list), the preferred event's
 *       pipeline, graceids….
 * Returns nil on success, else the graceid that was already taken.
 */
export const CREATE_SUPEREVENT = marked(
  `
local count = (#KEYS - 7) / 2
for i = 1, count do
  if redis.call('HGET', KEYS[6 + 2 * i], 'superevent') then return ARGV[10 + i] end
end
for i = 1, count do
  redis.call('HSET', KEYS[6 + 2 * i], 'superevent', ARGV[1])
  redis.call('ZADD', KEYS[7 + 2 * i], redis.call('INCR', KEYS[6]), ARGV[10 + i])
end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'seq', ARGV[7], 't_start', ARGV[3], 't_0', ARGV[4], 't_end', ARGV[5], 'preferred_event', ARGV[6])
redis.call('HSET', KEYS[7], ARGV[10], ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
for _, label in ipairs(cjson.decode(ARGV[9])) do
  redis.call('ZADD', KEYS[4], 'NX', redis.call('INCR', KEYS[6]), label)
end
redis.call('RPUSH', KEYS[5], ARGV[8])
return false
`,
  '(not reply) and ARGV[1] or nil',
);

/**
 * Adds an event to a superevent unless it already belongs to one.
 * KEYS: event hash, superevent hash, member zset, superevent logs, order counter.
 * ARGV: superevent id, graceid, log entry.
 * Returns 'ok', 'missing' (no superevent) or 'assigned:<superevent id>'.
 */
export const ADD_EVENT = marked(
  `
if redis.call('EXISTS', KEYS[2]) == 0 then return 'missing' end
local holder = redis.call('HGET', KEYS[1], 'superevent')
if holder then return 'assigned:' .. holder end
redis.call('HSET', KEYS[1], 'superevent', ARGV[1])
redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[5]), ARGV[2])
redis.call('RPUSH', KEYS[4], ARGV[3])
return 'ok'
`,
  "reply == 'ok' and reply or nil",
);

/**
 * Changes superevent fields; a new preferred event joins the superevent unless another one holds it, and becomes its
 * pipeline's preferred event.
 * KEYS: superevent hash, new preferred event hash (any key when unchanged), its member zset, by-t0 zset, logs,
 *       order counter, pipeline-preferred hash.
 * ARGV: superevent id, new preferred graceid or '', log entry, its pipeline or '', then field, value, field, value….
 *       An empty value deletes the field (a FAR set back to null).
 * Returns 'ok' or 'assigned:<superevent id>'.
 */
export const UPDATE_SUPEREVENT = marked(
  `
if ARGV[2] ~= '' then
  local holder = redis.call('HGET', KEYS[2], 'superevent')
  if holder and holder ~= ARGV[1] then return 'assigned:' .. holder end
  if not holder then
    redis.call('HSET', KEYS[2], 'superevent', ARGV[1])
    redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[6]), ARGV[2])
  end
  redis.call('HSET', KEYS[7], ARGV[4], ARGV[2])
end
for i = 5, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[1], ARGV[i])
  else
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
  if ARGV[i] == 't_0' then redis.call('ZADD', KEYS[4], ARGV[i + 1], ARGV[1]) end
end
redis.call('RPUSH', KEYS[5], ARGV[3])
return 'ok'
`,
  "reply == 'ok' and reply or nil",
);

/**
 * Makes an event its pipeline's preferred event in a superevent, joining it when it is in none.
 * KEYS: event hash, superevent hash, member zset, pipeline-preferred hash, superevent logs, order counter.
 * ARGV: superevent id, graceid, pipeline, log entry, the preferred event's graceid as the caller saw it.
 * Returns 'ok', 'missing' (no superevent), 'assigned:<superevent id>', 'already' (it is that pipeline's already), or
 * 'preferred:<graceid>' (the preferred event changed since the caller looked and is of this pipeline).
 */
export const ADD_PIPELINE_PREFERRED = marked(
  `
if redis.call('EXISTS', KEYS[2]) == 0 then return 'missing' end
local holder = redis.call('HGET', KEYS[1], 'superevent')
if holder and holder ~= ARGV[1] then return 'assigned:' .. holder end
if redis.call('HGET', KEYS[4], ARGV[3]) == ARGV[2] then return 'already' end
local preferred = redis.call('HGET', KEYS[2], 'preferred_event')
if preferred ~= ARGV[5] then return 'preferred:' .. preferred end
if not holder then
  redis.call('HSET', KEYS[1], 'superevent', ARGV[1])
  redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[6]), ARGV[2])
end
redis.call('HSET', KEYS[4], ARGV[3], ARGV[2])
redis.call('RPUSH', KEYS[5], ARGV[4])
return 'ok'
`,
  "reply == 'ok' and reply or nil",
);

/**
 * Applies a label unless already there, and logs it.
 * KEYS: labels zset, order counter, logs list.  ARGV: label, log entry.  Returns 1 if applied, 0 if already there.
 */
export const ADD_LABEL = marked(
  `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[1])
redis.call('RPUSH', KEYS[3], ARGV[2])
return 1
`,
  'reply',
);

/**
 * Removes a label and logs it.  KEYS: labels zset, logs list.  ARGV: label, log entry.
 * Returns 1, or 0 if absent (then no mark: nothing was written).
 */
export const REMOVE_LABEL = marked(
  `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
return 1
`,
  'reply == 1 and reply or nil',
);

/**
 * Appends a log entry, with its file when it has one, as one step.  KEYS: logs list, [file key].  ARGV: log entry, file
 * bytes ('' without a file), '1' when there is a file.  Returns the entry's number (N).
 */
export const WRITE_LOG = marked(
  `
if ARGV[3] == '1' then redis.call('SET', KEYS[2], ARGV[2]) end
return redis.call('RPUSH', KEYS[1], ARGV[1])
`,
  'reply',
);

/**
 * Replaces an event's file and the facts read from it (GraceDB's PUT on an event): a new version of the file, the
 * new facts, a log entry. KEYS: event hash, file (the new version), logs list, by-gpstime zset.
 * ARGV: graceid, data, file bytes, log entry, gpstime ('' when it has none). Returns 'ok' or 'missing'.
 */
export const REPLACE_EVENT = marked(
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
redis.call('HSET', KEYS[1], 'data', ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
redis.call('RPUSH', KEYS[3], ARGV[4])
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1]) else redis.call('ZREM', KEYS[4], ARGV[1]) end
return 'ok'
`,
  "reply == 'ok' and reply or nil",
);

/**
 * Takes an event out of a superevent, unless it is the preferred event.
 * KEYS: event hash, superevent hash, member zset, pipeline-preferred hash, superevent logs.
 * ARGV: superevent id, graceid, the event's pipeline, log entry.
 * Returns 'ok', 'missing' (no superevent), 'not-member' or 'preferred'.
 */
export const REMOVE_EVENT = marked(
  `
if redis.call('EXISTS', KEYS[2]) == 0 then return 'missing' end
if redis.call('HGET', KEYS[1], 'superevent') ~= ARGV[1] then return 'not-member' end
if redis.call('HGET', KEYS[2], 'preferred_event') == ARGV[2] then return 'preferred' end
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('HDEL', KEYS[1], 'superevent')
if redis.call('HGET', KEYS[4], ARGV[3]) == ARGV[2] then redis.call('HDEL', KEYS[4], ARGV[3]) end
redis.call('RPUSH', KEYS[5], ARGV[4])
return 'ok'
`,
  "reply == 'ok' and reply or nil",
);

/**
 * Replaces one log entry (its tags changed) if it is still the one the caller read: concurrent tag changes never
 * overwrite each other, the loser reads again. KEYS: logs list.  ARGV: index from 0, entry as read, new entry.
 * Returns 1 when replaced, 0 when the entry changed meanwhile, -1 when there is no such entry.
 */
export const REPLACE_LOG_ENTRY = marked(
  `
local current = redis.call('LINDEX', KEYS[1], ARGV[1])
if not current then return -1 end
if current ~= ARGV[2] then return 0 end
redis.call('LSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`,
  'reply == 1 and reply or nil',
);

/**
 * Adds a VOEvent as entry N (the caller's count plus one; 'retry' when another one came first), with its XML file and a
 * log entry that carries it. KEYS: VOEvent list, file (version 0 of `{id}-{N}-{Type}.xml`), file versions hash, logs.
 * ARGV: N, entry, XML, file name, log entry. Returns N.
 */
export const ADD_VOEVENT = marked(
  `
if redis.call('LLEN', KEYS[1]) ~= tonumber(ARGV[1]) - 1 then return 'retry' end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[4], 1)
redis.call('SET', KEYS[2], ARGV[3])
redis.call('RPUSH', KEYS[4], ARGV[5])
return tonumber(ARGV[1])
`,
  "reply ~= 'retry' and reply or nil",
);

/**
 * Exposes a superevent to the public or hides it. KEYS: superevent hash, logs.  ARGV: '1' (expose) or '', log entry.
 * Returns 'ok', 'same' (nothing to change, nothing logged) or 'missing'.
 */
export const SET_EXPOSED = marked(
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
local exposed = redis.call('HGET', KEYS[1], 'exposed') == '1'
if exposed == (ARGV[1] == '1') then return 'same' end
if ARGV[1] == '1' then redis.call('HSET', KEYS[1], 'exposed', '1') else redis.call('HDEL', KEYS[1], 'exposed') end
redis.call('RPUSH', KEYS[2], ARGV[2])
return 'ok'
`,
  "reply ~= 'missing' and reply or nil",
);

/**
 * Records a sign-off and changes the labels it implies (an advocate's OK: ADVOK in place of ADVREQ), logging it.
 * KEYS: sign-off hash, labels zset, order counter, logs, superevent hash.
 * ARGV: `{type}:{instrument}`, sign-off JSON, label to apply ('' none), labels to remove (JSON list), log entry.
 * Returns 'ok' or 'missing'.
 */
export const SIGN_OFF = marked(
  `
if redis.call('EXISTS', KEYS[5]) == 0 then return 'missing' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for _, label in ipairs(cjson.decode(ARGV[4])) do redis.call('ZREM', KEYS[2], label) end
if ARGV[3] ~= '' and not redis.call('ZSCORE', KEYS[2], ARGV[3]) then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[3])
end
redis.call('RPUSH', KEYS[4], ARGV[5])
return 'ok'
`,
  "reply == 'ok' and reply or nil",
);
