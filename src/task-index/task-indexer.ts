// Keeps the dashboard's task index and history up to date from a worker's own events (active, completed, failed), in small batches.
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { logger } from '../log/logger.js';
import { HistoryRecorder, startMinuteSampler } from '../history/history-counters.js';
import { summarizeJob, TaskIndex, type TaskSummary } from './task-index.js';
import { redactorFor } from '../log/redact.js';

export interface TaskIndexer {
  /** Writes what is pending now (tests and shutdown). */
  flush(): Promise<void>;
  /** Stops the timers and writes what is pending, waiting at most `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

const FLUSH_MS = 200;
const TRIM_MS = 60_000;
const MAX_PENDING = 20_000;

/**
 * Subscribes to the workers' events. Index writes are batched every 200 ms (a task's last event in a batch wins, and
 * a newer stored state is never overwritten by a late one); history counters are added up in memory and written with
 * them. A minute sampler records queue depth and workers online.
 */
export function startTaskIndexer(config: Config, redis: Redis, workers: Worker[]): TaskIndexer {
  const log = logger('task-index');
  const index = new TaskIndex(redis, config);
  const redactor = redactorFor(config);
  const history = new HistoryRecorder(config);
  const pending = new Map<string, { task: TaskSummary; version: number }>();
  let flushing: Promise<void> | undefined;

  const record = (job: Job | undefined, state: string, version: number, outcome: { result?: unknown; error?: string } = {}) => {
    if (!job?.id) return;
    const earlier = pending.get(job.id);
    if (pending.size >= MAX_PENDING && !earlier) return;
    // A task's start and end usually fall in one batch: its arguments are summarized (and redacted) once.
    pending.set(job.id, { task: summarizeJob(job, state, redactor, outcome, earlier?.task.args), version });
  };

  for (const worker of workers) {
    worker.on('active', (job: Job) => {
      const at = job.processedOn ?? Date.now();
      record(job, 'active', at);
      // Received once per task, as Celery's task-received: not again for a retry or a pick-up after a stall.
      if (job.attemptsMade === 0 && (job.attemptsStarted ?? 1) <= 1) history.count('received', job.name, job.queueName, at);
    });
    worker.on('completed', (job: Job, result: unknown) => {
      const at = job.finishedOn ?? Date.now();
      record(job, 'completed', at, { result });
      history.count('succeeded', job.name, job.queueName, at);
      if (job.processedOn) history.runtime(job.name, at - job.processedOn, at);
    });
    worker.on('failed', (job: Job | undefined, error: Error) => {
      if (!job) return;
      const final = !!job.finishedOn;
      const at = job.finishedOn ?? Date.now();
      record(job, final ? 'failed' : 'retrying', at, { error: error?.message });
      history.count(final ? 'failed' : 'retried', job.name, job.queueName, at);
      if (final && job.processedOn) history.runtime(job.name, at - job.processedOn, at);
    });
  }

  const flush = async (): Promise<void> => {
    if (flushing) return flushing;
    flushing = (async () => {
      const batch = [...pending.values()];
      pending.clear();
      const counters = history.take();
      try {
        // The index and the history counters in one script call: one round trip per batch.
        await index.write(batch, history.scriptArguments(counters));
      } catch (error) {
        log.warn({ err: { message: (error as Error).message }, tasks: batch.length }, 'task index write failed; will retry');
        history.restore(counters);
        for (const entry of batch) if (!pending.has(entry.task.id)) pending.set(entry.task.id, entry);
      } finally {
        flushing = undefined;
      }
    })();
    return flushing;
  };

  const flushTimer = setInterval(() => {
    if (pending.size || history.pendingMinutes) void flush();
  }, FLUSH_MS);
  // An index written by an earlier version is removed in the background, one bounded step after another, once per
  // Redis (a mark says it is done); after Redis trouble the next trim starts it again.
  let stopped = false;
  let retiring: Promise<void> | undefined;
  const retire = () =>
    (retiring ??= (async () => {
      if (await index.earlierFormatRetired()) return;
      // Not a step after stop(): a stopped worker leaves Redis alone.
      let cursor = '0';
      while (!stopped) {
        cursor = await index.retireEarlierFormat(cursor);
        if (cursor === '0') {
          await index.markEarlierFormatRetired();
          log.info('the task index of an earlier version is removed');
          return;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })().catch((error: Error) => {
      retiring = undefined;
      log.debug({ err: { message: error.message } }, 'removing the earlier task index stopped; the next trim goes on');
    }));
  void retire();
  const trimTimer = setInterval(() => {
    index.trim().catch((error: Error) => log.warn({ err: { message: error.message } }, 'task index trim failed'));
    void retire();
  }, TRIM_MS);
  flushTimer.unref();
  trimTimer.unref();
  const sampler = startMinuteSampler(redis, config, (error) => log.debug({ err: { message: error.message } }, 'history sample failed'));

  return {
    flush,
    async stop(timeoutMs = 2000) {
      stopped = true;
      clearInterval(flushTimer);
      clearInterval(trimTimer);
      sampler.stop();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([flush().then(() => flush()), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    },
  };
}
