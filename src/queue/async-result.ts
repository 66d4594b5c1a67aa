// A handle on a submitted task, like Celery's AsyncResult: its ID, its state, and get() to wait for the result.
import type { EventEmitter } from 'node:events';
import type { Job } from 'bullmq';
import type { TaskClient } from './client.js';
import { FINISHED_STATES, getTaskInfo, type TaskInfo } from './results.js';

/** The task failed; `info` carries the error, the stack trace and which chain step failed. */
export class TaskFailedError extends Error {
  constructor(readonly info: TaskInfo) {
    super(info.error?.message ?? 'task failed');
    this.name = 'TaskFailedError';
  }
}

export class TaskTimeoutError extends Error {
  constructor(
    readonly id: string,
    readonly timeoutMs: number,
  ) {
    super(`task ${id} did not finish within ${timeoutMs / 1000} s`);
    this.name = 'TaskTimeoutError';
  }
}

export class UnknownTaskIdError extends Error {
  constructor(readonly id: string) {
    super(`no task with ID ${id} (never submitted, or removed after its retention time)`);
    this.name = 'UnknownTaskIdError';
  }
}

/**
 * Waits until the job has finished (completed or failed), at most `timeoutMs`; true if it has. Waits on the queue's
 * events, re-checking the stored state every second, so that an event missed while the event stream was starting
 * can never leave a caller waiting until the timeout.
 */
export async function waitUntilFinished(client: TaskClient, job: Job, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!FINISHED_STATES.includes((await job.getState()) as never)) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return false;
    const events = client.events(job.queueName);
    await events.waitUntilReady();
    await job.waitUntilFinished(events, Math.min(remaining, 1000)).catch(() => {});
  }
  return true;
}

/** Wakes a waiter when a job's completed or failed event arrives (see watchForEnd). */
export interface EndWatch {
  /** Resolves true when an end event arrived (now or earlier), false after `ms` or on cancel. */
  next(ms: number): Promise<boolean>;
  cancel(): void;
}

/**
 * Listens for the job's completed/failed events on its queue's event stream, before the caller reads its state, so
 * that an end between that read and the wait is not missed. One round trip less than BullMQ's waitUntilFinished:
 * the caller's own state read is the check. Callers re-read the state after each `next` (an event may be a failed
 * attempt that will be retried, and one may be missed while the stream starts: hence a bounded `ms`).
 */
export async function watchForEnd(client: TaskClient, queueName: string, id: string): Promise<EndWatch> {
  const events = client.events(queueName);
  // Per-job event names (`completed:<id>`) are emitted by QueueEvents but not in its typed listener map.
  const emitter = events as unknown as EventEmitter;
  let arrived = false;
  let wake: ((ended: boolean) => void) | undefined;
  const onEnd = () => {
    arrived = true;
    wake?.(true);
  };
  emitter.on(`completed:${id}`, onEnd);
  emitter.on(`failed:${id}`, onEnd);
  // The event stream's connection waits for Redis like a worker's: never longer than a second here (the caller's
  // own reads fail fast when Redis is away, and re-reads every second cover events missed meanwhile).
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([events.waitUntilReady().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
  clearTimeout(timer);
  return {
    next(ms) {
      if (arrived) {
        arrived = false;
        return Promise.resolve(true);
      }
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => wake?.(false), ms);
        wake = (ended) => {
          clearTimeout(timer);
          wake = undefined;
          arrived = false;
          resolve(ended);
        };
      });
    },
    cancel() {
      emitter.off(`completed:${id}`, onEnd);
      emitter.off(`failed:${id}`, onEnd);
      wake?.(false);
    },
  };
}

export class AsyncResult {
  constructor(
    readonly id: string,
    private readonly client: TaskClient,
  ) {}

  async info(): Promise<TaskInfo> {
    const info = await getTaskInfo(this.client, this.id);
    if (!info) throw new UnknownTaskIdError(this.id);
    return info;
  }

  async state(): Promise<string> {
    return (await this.info()).state;
  }

  /** Waits for the task (the last step of a canvas) to finish; returns its result or throws TaskFailedError. */
  async get(options: { timeout?: number } = {}): Promise<unknown> {
    const timeoutMs = (options.timeout ?? 3600) * 1000;
    const job = await this.client.findJob(this.id);
    if (!job) throw new UnknownTaskIdError(this.id);
    if (!(await waitUntilFinished(this.client, job, timeoutMs))) throw new TaskTimeoutError(this.id, timeoutMs);
    const info = await this.info();
    if (info.state === 'failed') throw new TaskFailedError(info);
    if (info.state !== 'completed') throw new TaskTimeoutError(this.id, timeoutMs);
    return info.result;
  }

  toString(): string {
    return this.id;
  }
}
