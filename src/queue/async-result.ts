// A handle on a submitted task, like Celery's AsyncResult: its ID, its state, and get() to wait for the result.
import type { EventEmitter } from 'node:events';
import type { JobSource } from './types.js';
import { FINISHED_STATES, getTaskInfo, type TaskInfo } from './results.js';
import { within } from '../redis/within.js';

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

/** Wakes a waiter when a job's completed or failed event arrives (see watchForEnd). */
interface EndWatch {
  /** Resolves true when an end event arrived (now or earlier), false after `ms` or on cancel. */
  next(ms: number): Promise<boolean>;
  cancel(): void;
}

/** Listens for the job's completed/failed events on its queue's event stream (see readUntilFinished). */
async function watchForEnd(client: JobSource, queueName: string, id: string): Promise<EndWatch> {
  const { events, release } = client.waitOnEvents(queueName);
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
  const stop = () => {
    emitter.off(`completed:${id}`, onEnd);
    emitter.off(`failed:${id}`, onEnd);
    release();
  };
  // The event stream's connection waits for Redis like a worker's: never longer than a second here (the caller's
  // own reads fail fast when Redis is away, and re-reads every second cover events missed meanwhile).
  try {
    await within(events.waitUntilReady(), 1000);
  } catch (error) {
    stop();
    throw error;
  }
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
      stop();
      wake?.(false);
    },
  };
}

/**
 * Reads a task (`read`) until it has finished (`finished`) or `timeoutMs` has passed, and returns the last reading.
 * It listens for the job's end on the queue's event stream before the first read, so an end between a read and the
 * wait still wakes it, and re-reads after each end event (it may be a failed attempt that will be retried) and at
 * least every second (an event may be missed while the stream starts). An aborted `signal` ends the wait at once.
 * One round trip per reading, fewer than BullMQ's waitUntilFinished (which checks again itself).
 */
export async function readUntilFinished<T>(
  client: JobSource,
  queueName: string,
  id: string,
  options: { timeoutMs: number; read: () => Promise<T>; finished: (reading: T) => boolean; signal?: AbortSignal },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const watch = await watchForEnd(client, queueName, id);
  const stop = () => watch.cancel();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    let reading = await options.read();
    while (!options.finished(reading) && !options.signal?.aborted && Date.now() < deadline) {
      await watch.next(Math.min(1000, deadline - Date.now()));
      if (options.signal?.aborted) break;
      reading = await options.read();
    }
    return reading;
  } finally {
    options.signal?.removeEventListener('abort', stop);
    watch.cancel();
  }
}

export class AsyncResult {
  constructor(
    readonly id: string,
    private readonly client: JobSource,
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
    const state = await readUntilFinished(this.client, job.queueName, this.id, {
      timeoutMs,
      read: () => job.getState(),
      finished: (read) => FINISHED_STATES.includes(read as never),
    });
    if (!FINISHED_STATES.includes(state as never)) throw new TaskTimeoutError(this.id, timeoutMs);
    const info = await this.info();
    if (info.state === 'failed') throw new TaskFailedError(info);
    if (info.state !== 'completed') throw new TaskTimeoutError(this.id, timeoutMs);
    return info.result;
  }

  toString(): string {
    return this.id;
  }
}
