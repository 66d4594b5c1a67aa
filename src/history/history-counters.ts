// Writes the dashboard's history: per-minute and per-hour counters (received, succeeded, failed, retried, runtimes) and a once-a-minute sample of queue depth and workers online.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { extraQueuesKey, historyKeys } from '../redis/keys.js';
import { liveWorkers } from '../queue/heartbeats.js';
import { registeredQueues } from '../queue/registry.js';
import { bullPrefix } from '../redis/keys.js';
import { readQueueStats } from '../queue/queue-stats.js';

/** History is kept this long (a month of charts, plus a day of slack); then Redis expires it. */
export const HISTORY_RETENTION_SECONDS = 32 * 86_400;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export type CounterKind = 'received' | 'succeeded' | 'failed' | 'retried';

/** Runtimes go into logarithmic buckets (25 % wide), so percentiles can be merged across minutes and hours. */
const BUCKET_BASE = 1.25;
export function runtimeBucket(ms: number): number {
  return ms < 1 ? 0 : Math.floor(Math.log(ms) / Math.log(BUCKET_BASE)) + 1;
}
/** A representative runtime (ms) for a bucket: its geometric middle. */
export function bucketValue(bucket: number): number {
  return bucket === 0 ? 0.5 : BUCKET_BASE ** (bucket - 0.5);
}

/**
 * Field names: "received" (all tasks), "received|task|NAME", "received|queue|QUEUE"; "rt|BUCKET" and
 * "rt|task|NAME|BUCKET" count runtimes; samples are "depth|QUEUE" and "workers" (per minute), and their sums plus
 * "samples" per hour.
 */
export function counterFields(kind: CounterKind, task: string, queue: string): string[] {
  return [kind, `${kind}|task|${task}`, `${kind}|queue|${queue}`];
}

/** Counts per minute (ms / MINUTE_MS): field → increment. */
export type CounterBatch = Map<number, Map<string, number>>;

/**
 * Adds up events in memory; the task indexer writes them with its index batch, in the same script call (HINCRBY on
 * the minute's and the hour's hash).
 */
export class HistoryRecorder {
  private pending: CounterBatch = new Map();

  constructor(private readonly config: Config) {}

  private add(at: number, fields: string[], by = 1): void {
    const minute = Math.floor(at / MINUTE_MS);
    let counts = this.pending.get(minute);
    if (!counts) this.pending.set(minute, (counts = new Map()));
    for (const field of fields) counts.set(field, (counts.get(field) ?? 0) + by);
  }

  count(kind: CounterKind, task: string, queue: string, at = Date.now()): void {
    this.add(at, counterFields(kind, task, queue));
  }

  runtime(task: string, ms: number, at = Date.now()): void {
    const bucket = runtimeBucket(ms);
    this.add(at, [`rt|${bucket}`, `rt|task|${task}|${bucket}`]);
  }

  get pendingMinutes(): number {
    return this.pending.size;
  }

  /** Hands over what is pending (emptied here): written by scriptArguments, or put back by restore when that failed. */
  take(): CounterBatch {
    const batch = this.pending;
    this.pending = new Map();
    return batch;
  }

  /** Puts counts back: they are written with the next flush once Redis answers again. */
  restore(batch: CounterBatch): void {
    for (const [minute, counts] of batch) for (const [field, by] of counts) this.add(minute * MINUTE_MS, [field], by);
  }

  /**
   * A batch as the task index's upsert script takes it (src/redis/lua/task-index-upsert.lua): retention seconds, then per hash (the
   * minute's and the hour's) its key, its number of fields, and field/increment pairs. Empty for an empty batch.
   */
  scriptArguments(batch: CounterBatch): (string | number)[] {
    if (!batch.size) return [];
    const args: (string | number)[] = [HISTORY_RETENTION_SECONDS];
    for (const [minute, counts] of batch) {
      const pairs: (string | number)[] = [];
      for (const [field, by] of counts) pairs.push(field, by);
      args.push(historyKeys.minute(this.config, minute), counts.size, ...pairs);
      args.push(historyKeys.hour(this.config, Math.floor((minute * MINUTE_MS) / HOUR_MS)), counts.size, ...pairs);
    }
    return args;
  }
}

/** Every queue a task may be in, without a TaskClient: registered ones plus those used with an explicit queue option. */
async function knownQueues(redis: Redis, config: Config): Promise<string[]> {
  const extra = await redis.smembers(extraQueuesKey(config));
  return [...new Set([...registeredQueues(), ...extra])].sort();
}

/**
 * Samples queue depth and workers online for the current minute, once per minute across every process that runs
 * a sampler (workers and dashboards): the first to claim the minute writes it. Returns true when this call wrote.
 */
export async function sampleMinute(redis: Redis, config: Config, now = Date.now()): Promise<boolean> {
  const minute = Math.floor(now / MINUTE_MS);
  const claimed = await redis.set(historyKeys.sampled(config, minute), '1', 'EX', 180, 'NX');
  if (claimed !== 'OK') return false;
  const queues = await knownQueues(redis, config);
  const [stats, workers] = await Promise.all([readQueueStats(redis, bullPrefix(config), queues, now, 1), liveWorkers(redis, config)]);
  const online = workers.filter((w) => w.info.status === 'online').length;
  const minuteKey = historyKeys.minute(config, minute);
  const hourKey = historyKeys.hour(config, Math.floor(now / HOUR_MS));
  const pipeline = redis.pipeline().hset(minuteKey, 'workers', online).hincrby(hourKey, 'workers', online).hincrby(hourKey, 'samples', 1);
  for (const queue of stats)
    pipeline.hset(minuteKey, `depth|${queue.name}`, queue.waiting).hincrby(hourKey, `depth|${queue.name}`, queue.waiting);
  await pipeline.expire(minuteKey, HISTORY_RETENTION_SECONDS).expire(hourKey, HISTORY_RETENTION_SECONDS).exec();
  return true;
}

/** Runs sampleMinute every 15 s (so some process samples each minute within its first 15 s); errors go to `onError`. */
export function startMinuteSampler(redis: Redis, config: Config, onError: (error: Error) => void = () => {}): { stop(): void } {
  const tick = () => {
    sampleMinute(redis, config).catch((error: Error) => onError(error));
  };
  // No sample at once: a worker starting now has not sent its first heartbeat yet.
  const timer = setInterval(tick, 15_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
