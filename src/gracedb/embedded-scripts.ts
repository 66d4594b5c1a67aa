// Lua scripts that make the embedded GraceDB's multi-key changes atomic, so concurrent workers never both claim an event.
//
// Labels and superevent members are ZSETs scored from one INCR counter (the "order" key) rather than the clock,
// so they list in the order they were applied even within one millisecond.

/**
 * Creates a superevent and claims its events, or nothing at all when one of them already belongs to a superevent.
 * KEYS: superevent hash, superevents zset, by-t0 zset, labels zset, logs list, order counter,
 *       then (event hash, member zset) per event.
 * ARGV: id, data, t_start, t_0, t_end, preferred_event, seq, log entry, labels (JSON list), graceids….
 * Returns nil on success, else the graceid that was already taken.
 */
export const CREATE_SUPEREVENT = `
local count = (#KEYS - 6) / 2
for i = 1, count do
  if redis.call('HGET', KEYS[5 + 2 * i], 'superevent') then return ARGV[9 + i] end
end
for i = 1, count do
  redis.call('HSET', KEYS[5 + 2 * i], 'superevent', ARGV[1])
  redis.call('ZADD', KEYS[6 + 2 * i], redis.call('INCR', KEYS[6]), ARGV[9 + i])
end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'seq', ARGV[7], 't_start', ARGV[3], 't_0', ARGV[4], 't_end', ARGV[5], 'preferred_event', ARGV[6])
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
 * Changes superevent fields; a new preferred event joins the superevent unless another one holds it.
 * KEYS: superevent hash, new preferred event hash (any key when unchanged), its member zset, by-t0 zset, logs,
 *       order counter.
 * ARGV: superevent id, new preferred graceid or '', log entry, then field, value, field, value….
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
end
for i = 4, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  if ARGV[i] == 't_0' then redis.call('ZADD', KEYS[4], ARGV[i + 1], ARGV[1]) end
end
redis.call('RPUSH', KEYS[5], ARGV[3])
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

/** Removes a label and logs it.  KEYS: labels zset, logs list.  ARGV: label, log entry.  Returns 1, or 0 if absent. */
export const REMOVE_LABEL = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
return 1
`;
