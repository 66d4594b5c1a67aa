// Lua scripts that make the embedded GraceDB's multi-key changes atomic, so concurrent workers never both claim an event.
//
// Labels and superevent members are ZSETs scored from one INCR counter (the "order" key) rather than the clock,
// so they list in the order they were applied even within one millisecond.

/**
 * Creates a superevent and claims its events, or nothing at all when one of them already belongs to a superevent.
 * KEYS: superevent hash, superevents zset, by-t0 zset, labels zset, logs list, order counter, pipeline-preferred hash,
 *       then (event hash, member zset) per event.
 * ARGV: id, data, t_start, t_0, t_end, preferred_event, seq, log entry, labels (JSON list), the preferred event's
 *       pipeline, graceids….
 * Returns nil on success, else the graceid that was already taken.
 */
export const CREATE_SUPEREVENT = `
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
`;

/**
 * Adds an event to a superevent unless it already belongs to one.
 * KEYS: event hash, superevent hash, member zset, superevent logs, order counter.
 * ARGV: superevent id, graceid, log entry.
 * Returns 'ok', 'missing' (no superevent) or 'assigned:<superevent id>'.
 */
export const ADD_EVENT = `
if redis.call('EXISTS', KEYS[2]) == 0 then return 'missing' end
local holder = redis.call('HGET', KEYS[1], 'superevent')
if holder then return 'assigned:' .. holder end
redis.call('HSET', KEYS[1], 'superevent', ARGV[1])
redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[5]), ARGV[2])
redis.call('RPUSH', KEYS[4], ARGV[3])
return 'ok'
`;

/**
 * Changes superevent fields; a new preferred event joins the superevent unless another one holds it, and becomes its
 * pipeline's preferred event.
 * KEYS: superevent hash, new preferred event hash (any key when unchanged), its member zset, by-t0 zset, logs,
 *       order counter, pipeline-preferred hash.
 * ARGV: superevent id, new preferred graceid or '', log entry, its pipeline or '', then field, value, field, value….
 *       An empty value deletes the field (a FAR set back to null).
 * Returns 'ok' or 'assigned:<superevent id>'.
 */
export const UPDATE_SUPEREVENT = `
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
`;

/**
 * Makes an event its pipeline's preferred event in a superevent, joining it when it is in none.
 * KEYS: event hash, superevent hash, member zset, pipeline-preferred hash, superevent logs, order counter.
 * ARGV: superevent id, graceid, pipeline, log entry, the preferred event's graceid as the caller saw it.
 * Returns 'ok', 'missing' (no superevent), 'assigned:<superevent id>', 'already' (it is that pipeline's already), or
 * 'preferred:<graceid>' (the preferred event changed since the caller looked and is of this pipeline).
 */
export const ADD_PIPELINE_PREFERRED = `
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
`;

/**
 * Applies a label unless already there, and logs it.
 * KEYS: labels zset, order counter, logs list.  ARGV: label, log entry.  Returns 1 if applied, 0 if already there.
 */
export const ADD_LABEL = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[1])
redis.call('RPUSH', KEYS[3], ARGV[2])
return 1
`;

/**
 * Removes a label and logs it.  KEYS: labels zset, logs list, [write mark].  ARGV: label, log entry, [mark TTL].
 * Returns 1, or 0 if absent (then no mark: nothing was written).
 */
export const REMOVE_LABEL = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
if KEYS[3] then redis.call('SET', KEYS[3], '{"written":1}', 'EX', ARGV[3]) end
return 1
`;

/**
 * Appends a log entry, with its file when it has one, and the task's write mark when given (embedded-write-mark.ts), as
 * one step.  KEYS: logs list, [file key], [write mark].  ARGV: log entry, file bytes ('' without a file), '1' when
 * there is a file, the mark's TTL ('0' without a mark).  Returns the entry's number (N).
 */
export const WRITE_LOG = `
if ARGV[3] == '1' then redis.call('SET', KEYS[2], ARGV[2]) end
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
if ARGV[4] ~= '0' then redis.call('SET', KEYS[#KEYS], cjson.encode({written = n}), 'EX', ARGV[4]) end
return n
`;
