// What every gwqueue process can report about the whole deployment, read from Redis on demand: queues, finished-task totals, live workers, alerts sent, Redis' memory.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { bullPrefix, extraQueuesKey, outboxKeys, scheduleKeys } from '../redis/keys.js';
import { liveWorkers } from '../queue/heartbeats.js';
import { registeredQueues } from '../queue/registry.js';
import { readQueueStats } from '../queue/queue-stats.js';
import { readRedisMemory, type RedisMemory } from '../redis/memory.js';
import { ALERT_TYPES } from '../alerts/schema.js';
import { type LastRun } from '../schedules/schedule-registry.js';

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'waiting-children', 'completed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export interface QueueSnapshot {
  name: string;
  /** Tasks per BullMQ state right now (completed and failed: those still kept in Redis). */
  tasks: Record<QueueState, number>;
  /** Seconds the longest-waiting task has waited (0 when none waits). */
  oldestWaitingAgeSeconds: number;
  /** Tasks finished since the queue's metrics began, by every worker: only grows (Munin DERIVE, Prometheus counters). */
  succeededTotal: number;
  failedTotal: number;
  /** Live workers consuming this queue (shutting-down workers excluded). */
  workersOnline: number;
}

export interface ClusterSnapshot {
  at: number;
  queues: QueueSnapshot[];
  /** Live workers, whatever their queues. */
  workersOnline: number;
  /** Alerts put in the outbox since the start, by alert type (every known type present, 0 included). */
  alertsSent: Record<string, number>;
  /** Schedule name → when its last firing started its task (ms); schedules that never fired are absent. */
  scheduleLastRuns: Record<string, number>;
  /** Redis' used memory and its `maxmemory` (0: no limit). */
  memory: RedisMemory;
}

const toInt = (value: unknown): number => Number.parseInt(String(value ?? 0), 10) || 0;

/** The queues worth reporting: registered ones, ones used through an explicit option, and any a live worker consumes. */
async function knownQueues(redis: Redis, config: Config, workerQueues: string[]): Promise<string[]> {
  const extra = await redis.smembers(extraQueuesKey(config));
  return [...new Set([...registeredQueues(), ...extra, ...workerQueues])].sort();
}

/** Reads the snapshot in a few pipelined round trips (no per-job scans), however many queues there are. */
export async function readClusterSnapshot(redis: Redis, config: Config, now = Date.now()): Promise<ClusterSnapshot> {
  const live = (await liveWorkers(redis, config)).filter((worker) => worker.info.status === 'online');
  const queues = await knownQueues(
    redis,
    config,
    live.flatMap((worker) => worker.info.queues ?? []),
  );
  const prefix = bullPrefix(config);
  const key = (queue: string, type: string) => `${prefix}:${queue}:${type}`;
  const pipeline = redis.pipeline();
  for (const queue of queues) {
    pipeline
      .llen(key(queue, 'active'))
      .zcard(key(queue, 'delayed'))
      .zcard(key(queue, 'waiting-children'))
      .zcard(key(queue, 'completed'))
      .zcard(key(queue, 'failed'))
      .hget(key(queue, 'metrics:completed'), 'count')
      .hget(key(queue, 'metrics:failed'), 'count');
  }
  pipeline.hgetall(outboxKeys.sent(config));
  pipeline.hgetall(scheduleKeys.lastRun(config));
  const [replies, stats, memory] = await Promise.all([pipeline.exec(), readQueueStats(redis, prefix, queues, now), readRedisMemory(redis)]);
  const values = (replies ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  const PER_QUEUE = 7;
  const snapshots = queues.map((name, index): QueueSnapshot => {
    const [active, delayed, waitingChildren, completed, failed, succeededTotal, failedTotal] = values
      .slice(index * PER_QUEUE, (index + 1) * PER_QUEUE)
      .map(toInt);
    const stat = stats[index];
    return {
      name,
      tasks: { waiting: stat.waiting, active, delayed, 'waiting-children': waitingChildren, completed, failed },
      oldestWaitingAgeSeconds: stat.oldestWaitingSince === null ? 0 : Math.max(0, (now - stat.oldestWaitingSince) / 1000),
      succeededTotal,
      failedTotal,
      workersOnline: live.filter((worker) => (worker.info.queues ?? []).includes(name)).length,
    };
  });
  const sent = (values[queues.length * PER_QUEUE] ?? {}) as Record<string, string>;
  const alertsSent: Record<string, number> = Object.fromEntries(ALERT_TYPES.map((type) => [type, 0]));
  for (const [type, count] of Object.entries(sent)) alertsSent[type] = toInt(count);
  const scheduleLastRuns: Record<string, number> = {};
  for (const [name, json] of Object.entries((values[queues.length * PER_QUEUE + 1] ?? {}) as Record<string, string>)) {
    try {
      const firedAt = (JSON.parse(json) as LastRun).firedAt;
      if (Number.isFinite(firedAt)) scheduleLastRuns[name] = firedAt;
    } catch {
      // a record this version cannot read is left out rather than failing the scrape
    }
  }
  return { at: now, queues: snapshots, workersOnline: live.length, alertsSent, scheduleLastRuns, memory };
}
