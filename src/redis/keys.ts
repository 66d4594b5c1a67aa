// Every Redis key name our code uses, each by a named function: all under `{prefix}`, so that they hash to one Redis
// Cluster slot. BullMQ names its own keys under the same prefix; the embedded GraceDB's are in gracedb/embedded-keys.ts.
import type { Config } from '../config/index.js';

/** BullMQ's prefix: the configured prefix wrapped in a Cluster hash tag. */
export function bullPrefix(config: Config): string {
  return `{${config.prefix}}`;
}

/** A key under the prefix: used by the named keys below (and a test's own keys), not spelled out elsewhere. */
export function keyOf(config: Config, ...parts: string[]): string {
  return [bullPrefix(config), ...parts].join(':');
}

export const workerKeys = {
  /** Sorted set: worker name → last heartbeat (ms). Lets the dashboard list workers seen in the last day. */
  seen: (config: Config) => keyOf(config, 'workers'),
  /** String with a short TTL: present while the worker is alive. */
  alive: (config: Config, name: string) => keyOf(config, 'worker', name, 'alive'),
  /** Last heartbeat payload (JSON), kept for a day so offline workers can still be shown. */
  info: (config: Config, name: string) => keyOf(config, 'worker', name, 'info'),
  /** A small write (expires in a minute) that tells a worker waiting on a full Redis when it takes writes again. */
  memoryProbe: (config: Config, name: string) => keyOf(config, 'worker', name, 'memory-probe'),
};

/** Set of queues used with an explicit `queue` option that no registered task names. */
export const extraQueuesKey = (config: Config) => keyOf(config, 'queues');

/** The dashboard's task index: the prefix of its hashes and sorted sets (task-index/task-index.ts). */
export const taskIndexBase = (config: Config) => keyOf(config, 'flower', 'ix');

/** Where the task index of earlier versions lived, directly under `{prefix}:flower:` (removed by TaskIndex.retireEarlierFormat). */
export const earlierTaskIndexBase = (config: Config) => keyOf(config, 'flower');

/** Per-minute / per-hour task counters kept 32 days (history/). */
export const historyKeys = {
  minute: (config: Config, minute: number) => keyOf(config, 'flower', 'history', 'm', String(minute)),
  hour: (config: Config, hour: number) => keyOf(config, 'flower', 'history', 'h', String(hour)),
  sampled: (config: Config, minute: number) => keyOf(config, 'flower', 'history', 'sampled', String(minute)),
};

export const outboxKeys = {
  /** STREAM of alerts: fields superevent_id, alert_type, time, public, payload (JSON), and avro (with format avro). */
  stream: (config: Config) => keyOf(config, 'alerts', 'outbox'),
  /** Counter of alerts that could not be delivered to a sink (monitoring reads it). */
  failures: (config: Config) => keyOf(config, 'alerts', 'failures'),
  /** HASH alert type → alerts put in the outbox since the start (never trimmed; metrics read it). */
  sent: (config: Config) => keyOf(config, 'alerts', 'sent'),
  /** STRING per sending task and alert: the outbox entry it made, so that a re-run task does not send again. */
  once: (config: Config, onceKey: string) => keyOf(config, 'alerts', 'once', onceKey),
};

/** STREAM of the console's audit log. */
export const auditKey = (config: Config) => keyOf(config, 'audit');

/** Sorted set of (time, counter value) samples written by the health checks themselves. */
export const alertFailureSamplesKey = (config: Config) => keyOf(config, 'monitoring', 'alert-failure-samples');

export const scheduleKeys = {
  /** HASH schedule name → JSON LastRun: what its latest firing started. */
  lastRun: (config: Config) => keyOf(config, 'schedules', 'last-run'),
};

export const hostKeys = {
  /** ZSET series id → last write (ms): which hosts and processes have samples. */
  index: (config: Config) => keyOf(config, 'host', 'series'),
  /** HASH series id → SeriesInfo JSON. */
  info: (config: Config) => keyOf(config, 'host', 'series-info'),
  /** ZSET of points: score = bucket start (ms), member = `<start>:<values JSON>`; `range`: the series' range name. */
  points: (config: Config, id: string, range: string) => keyOf(config, 'host', 'points', id, range),
};

export const controlKeys = {
  /** Every worker subscribes to this one channel. Pub/sub (not a stream) on purpose: a worker started later must not replay an old shutdown. */
  channel: (config: Config) => keyOf(config, 'control'),
  /** Where the replies to one command arrive. */
  reply: (config: Config, id: string) => keyOf(config, 'control', 'reply', id),
  /** What every reply channel starts with. */
  replyPrefix: (config: Config) => `${keyOf(config, 'control', 'reply')}:`,
};

/** STRING: what an idempotency key or submission token claimed or produced (actions/idempotency.ts). */
export const submissionKey = (config: Config, token: string) => keyOf(config, 'submission', token);

/** STRING: the mark that the n-th identical GraceDB write of one task was done (tasks/gracedb-once.ts). */
export const gracedbWriteMarkKey = (config: Config, taskId: string, write: string) => keyOf(config, 'gracedb', 'once', taskId, write);

/** STRING: the mark of one write through the GraceDB API (its Idempotency-Key's digest, or the request's own ID). */
export const gracedbApiWriteMarkKey = (config: Config, id: string) => keyOf(config, 'gracedb', 'api-once', id);

/** Locks (tasks/redis-lock.ts): one worker at a time groups events of a category, or uploads a superevent's mock GRB. */
export const lockKeys = {
  grouping: (config: Config, category: string) => keyOf(config, 'superevents', 'grouping-lock', category),
  mockGrb: (config: Config, supereventId: string) => keyOf(config, 'first2years', 'mock-grb-lock', supereventId),
};

/** STRING: the small write a replication barrier sends before WAIT, so that WAIT has a write of its own to count (replication.ts). */
export const replicationBarrierKey = (config: Config) => keyOf(config, 'replication-barrier');

/** Prefixes of the keys that a library names itself: the console's sessions and failed API-token counts. */
export const libraryPrefixes = {
  session: (config: Config) => `${keyOf(config, 'session')}:`,
  tokenFailures: (config: Config) => `${keyOf(config, 'token-failures')}:`,
};
