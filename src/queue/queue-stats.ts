// Per-queue numbers read straight from BullMQ's keys in two pipelined round trips: backlog, oldest waiting task, tasks finished lately.
import type { Redis } from 'ioredis';

export interface QueueStats {
  name: string;
  /** Tasks ready to run and not started: the wait and paused lists plus the prioritized set. */
  waiting: number;
  /** Since when (ms) the longest-waiting task has waited; null when nothing waits or it could not be read. */
  oldestWaitingSince: number | null;
  /** Tasks that finished (succeeded / failed for good) within the last `windowMinutes` minutes. */
  completed: number;
  failed: number;
}

/** BullMQ's per-minute counters: a hash (count, prevTS, prevCount) and a list of per-minute counts, newest first. */
export interface MinuteMetrics {
  count: number;
  prevTS: number;
  prevCount: number;
  /** data[0] is the minute before prevTS's minute, data[1] the one before, and so on. */
  data: number[];
}

export const FAILURE_WINDOW_MINUTES = 15;

/**
 * Tasks counted in the last `minutes` whole minutes (the current one included). BullMQ pushes a minute's count only
 * when a later task finishes: everything counted since prevTS's minute (count - prevCount) belongs to that minute,
 * since any task finishing in a later minute would have moved prevTS on.
 */
export function countInWindow(metrics: MinuteMetrics, now: number, minutes = FAILURE_WINDOW_MINUTES): number {
  if (!metrics.prevTS) return 0;
  const firstMinute = Math.floor(now / 60_000) - (minutes - 1);
  const lastRollover = Math.floor(metrics.prevTS / 60_000);
  if (lastRollover < firstMinute) return 0;
  let total = Math.max(0, metrics.count - metrics.prevCount);
  for (let i = 0; i < metrics.data.length && lastRollover - 1 - i >= firstMinute; i++) total += metrics.data[i];
  return total;
}

type Reply = [Error | null, unknown];

/** Runs a pipeline and returns its replies, throwing the first command error (e.g. WRONGTYPE on a damaged key). */
async function execPipeline(pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const replies = ((await pipeline.exec()) ?? []) as Reply[];
  const failed = replies.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
  return replies.map(([, value]) => value);
}

const toInt = (value: unknown): number => (value === null || value === undefined ? 0 : Number.parseInt(String(value), 10) || 0);

/** When a waiting job became ready: enqueued (plus its delay), or put back after its last attempt started. */
function readySince(fields: unknown[]): number | null {
  const [timestamp, delay, processedOn] = fields.map(toInt);
  if (!timestamp) return null;
  return Math.max(timestamp + delay, processedOn);
}

/** Reads every queue's statistics with two pipelines, however many queues (no per-job scans). */
export async function readQueueStats(
  redis: Redis,
  prefix: string,
  queues: string[],
  now: number,
  windowMinutes = FAILURE_WINDOW_MINUTES,
): Promise<QueueStats[]> {
  if (!queues.length) return [];
  const key = (queue: string, type: string) => `${prefix}:${queue}:${type}`;
  const PER_QUEUE = 10;
  const first = redis.pipeline();
  for (const queue of queues) {
    first
      .llen(key(queue, 'wait'))
      .llen(key(queue, 'paused'))
      .zcard(key(queue, 'prioritized'))
      // Workers take from the tail of the wait list, so the tail is the task that has waited longest.
      .lindex(key(queue, 'wait'), -1)
      .lindex(key(queue, 'paused'), -1)
      .zrange(key(queue, 'prioritized'), 0, 0);
    for (const type of ['completed', 'failed']) {
      first
        .hmget(key(queue, `metrics:${type}`), 'count', 'prevTS', 'prevCount')
        .lrange(key(queue, `metrics:${type}:data`), 0, windowMinutes - 1);
    }
  }
  const replies = await execPipeline(first);

  const candidates: { queueIndex: number; id: string }[] = [];
  const stats = queues.map((name, index): QueueStats => {
    const r = replies.slice(index * PER_QUEUE, (index + 1) * PER_QUEUE);
    const [waitLen, pausedLen, prioritizedLen, waitTail, pausedTail, prioritizedHead] = r;
    for (const id of [waitTail, pausedTail, (prioritizedHead as string[])[0]]) {
      if (typeof id === 'string' && id) candidates.push({ queueIndex: index, id });
    }
    const metrics = (hash: unknown, data: unknown): MinuteMetrics => {
      const [count, prevTS, prevCount] = (hash as unknown[]).map(toInt);
      return { count, prevTS, prevCount, data: (data as string[]).map(toInt) };
    };
    return {
      name,
      waiting: toInt(waitLen) + toInt(pausedLen) + toInt(prioritizedLen),
      oldestWaitingSince: null,
      completed: countInWindow(metrics(r[6], r[7]), now, windowMinutes),
      failed: countInWindow(metrics(r[8], r[9]), now, windowMinutes),
    };
  });

  if (candidates.length) {
    const second = redis.pipeline();
    for (const { queueIndex, id } of candidates) second.hmget(key(queues[queueIndex], id), 'timestamp', 'delay', 'processedOn');
    const jobs = await execPipeline(second);
    candidates.forEach(({ queueIndex }, index) => {
      // A job taken by a worker between the two round trips has no hash any more (or is no longer waiting): skip it.
      const since = readySince(jobs[index] as unknown[]);
      const current = stats[queueIndex].oldestWaitingSince;
      if (since !== null && (current === null || since < current)) stats[queueIndex].oldestWaitingSince = since;
    });
  }
  return stats;
}
