// The schedules in Redis: a worker upserts (or removes) the BullMQ job schedulers of its queues at start; everyone reads them.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { ScheduleSetting } from '../config/schedules.js';
import { BACKOFF_TYPE } from '../queue/client.js';
import type { JobData } from '../queue/types.js';
import { bullPrefix, scheduleKeys } from '../redis/keys.js';
import '../tasks/index.js'; // the task modules declare the schedules
import { allSchedules, FIRE_TASK, type LastRun, type ScheduleDefinition } from './schedule-registry.js';
import { redactorFor } from '../log/redact.js';

export interface SyncedSchedule {
  name: string;
  queue: string;
  action: 'upserted' | 'removed';
  everyMs: number;
}

/**
 * Upserts the enabled schedules whose task runs on one of `queues` and removes the disabled ones. Upserting an
 * unchanged schedule keeps its next run (BullMQ keeps the slot), so workers starting at any time never add a run; a
 * changed interval starts counting anew.
 */
export async function syncSchedulers(redis: Redis, config: Config, queues: string[]): Promise<SyncedSchedule[]> {
  const mine = allSchedules().filter((schedule) => queues.includes(schedule.task.queue));
  const done: SyncedSchedule[] = [];
  const retention = { age: config.results.ttlSeconds, count: config.results.maxCount };
  for (const schedule of mine) {
    const setting = config.schedules[schedule.name];
    const queue = new Queue(schedule.task.queue, { connection: redis, prefix: bullPrefix(config) });
    queue.on('error', () => {});
    try {
      if (setting.enabled) {
        const data = { args: [schedule.name], kwargs: {}, meta: { predecessor: 'none', submittedBy: `schedule ${schedule.name}` } };
        await queue.upsertJobScheduler(
          schedule.name,
          { every: setting.everyMs },
          {
            name: FIRE_TASK,
            data: data as unknown as JobData,
            opts: {
              attempts: config.retry.redisAttempts,
              backoff: { type: BACKOFF_TYPE, delay: config.retry.backoffMs },
              removeOnComplete: retention,
              removeOnFail: retention,
            },
          },
        );
        done.push({ name: schedule.name, queue: schedule.task.queue, action: 'upserted', everyMs: setting.everyMs });
      } else {
        await queue.removeJobScheduler(schedule.name);
        done.push({ name: schedule.name, queue: schedule.task.queue, action: 'removed', everyMs: setting.everyMs });
      }
    } finally {
      await queue.close().catch(() => {});
    }
  }
  return done;
}

export type RunState = 'waiting' | 'active' | 'completed' | 'failed' | 'retrying' | 'gone';

export interface ScheduleView {
  name: string;
  task: string;
  queue: string;
  description: string;
  /** This process's configuration of it (every process should share one). */
  configured: ScheduleSetting;
  /** The job scheduler in Redis, as the workers left it; null when none is there (off, or no worker of its queue started). */
  scheduler: { everyMs: number; nextRunAt: number | null } | null;
  /** What its latest firing started, and how that task stands now; null before the first firing. */
  lastRun: (LastRun & { state: RunState; finishedAt: number | null; error: string | null }) | null;
}

function runState(fields: (string | null)[]): { state: RunState; finishedAt: number | null; error: string | null } {
  const [exists, finishedOn, processedOn, failedReason] = fields;
  if (!exists) return { state: 'gone', finishedAt: null, error: null };
  const finishedAt = finishedOn ? Number(finishedOn) : null;
  // BullMQ sets finishedOn only when a task is done for good; a failed reason before that is an attempt to retry.
  if (finishedAt) return { state: failedReason ? 'failed' : 'completed', finishedAt, error: failedReason || null };
  if (failedReason) return { state: 'retrying', finishedAt: null, error: failedReason };
  return { state: processedOn ? 'active' : 'waiting', finishedAt: null, error: null };
}

/** Every declared schedule with its scheduler in Redis and its last run, in two pipelined round trips. */
export async function readSchedules(redis: Redis, config: Config): Promise<ScheduleView[]> {
  const declared: ScheduleDefinition[] = allSchedules();
  const prefix = bullPrefix(config);
  const pipeline = redis.pipeline();
  for (const schedule of declared) {
    pipeline.zscore(`${prefix}:${schedule.task.queue}:repeat`, schedule.name);
    pipeline.hget(`${prefix}:${schedule.task.queue}:repeat:${schedule.name}`, 'every');
  }
  pipeline.hgetall(scheduleKeys.lastRun(config));
  const replies = (await pipeline.exec()) ?? [];
  const value = (index: number) => {
    const [error, reply] = replies[index] ?? [null, null];
    if (error) throw error;
    return reply;
  };
  const lastRuns = (value(declared.length * 2) ?? {}) as Record<string, string>;
  const parsed = declared.map((schedule) => {
    try {
      return lastRuns[schedule.name] ? (JSON.parse(lastRuns[schedule.name]) as LastRun) : null;
    } catch {
      return null;
    }
  });
  const states = redis.pipeline();
  for (const [index, run] of parsed.entries()) {
    if (!run) continue;
    const key = `${prefix}:${declared[index].task.queue}:${run.taskId}`;
    states.exists(key).hmget(key, 'finishedOn', 'processedOn', 'failedReason');
  }
  const stateReplies = parsed.some(Boolean) ? ((await states.exec()) ?? []) : [];
  let cursor = 0;
  return declared.map((schedule, index): ScheduleView => {
    const next = value(index * 2);
    const every = value(index * 2 + 1);
    const run = parsed[index];
    let lastRun: ScheduleView['lastRun'] = null;
    if (run) {
      const exists = stateReplies[cursor]?.[1] === 1 ? '1' : null;
      const fields = (stateReplies[cursor + 1]?.[1] ?? [null, null, null]) as (string | null)[];
      cursor += 2;
      const state = runState([exists, ...fields]);
      // The run's error is shown (inspect, the Schedules page, the canary): redacted as the logs are.
      lastRun = { ...run, ...state, error: state.error === null ? null : redactorFor(config).text(state.error) };
    }
    return {
      name: schedule.name,
      task: schedule.task.name,
      queue: schedule.task.queue,
      description: schedule.description,
      configured: config.schedules[schedule.name],
      scheduler: next === null && every === null ? null : { everyMs: Number(every) || 0, nextRunAt: next === null ? null : Number(next) },
      lastRun,
    };
  });
}
