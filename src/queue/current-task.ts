// The task a worker is running right now (AsyncLocalStorage), so that deep code can tie a side effect to its task ID.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { TaskContext } from './registry.js';

const storage = new AsyncLocalStorage<TaskContext>();

/** Runs `fn` with `context` as the current task (the worker's processor does this for every run). */
export function runAsTask<T>(context: TaskContext, fn: () => Promise<T>): Promise<T> {
  return storage.run(context, fn);
}

/** The task being run, or undefined outside a worker's task (CLI, web, tests calling functions directly). */
export function currentTask(): TaskContext | undefined {
  return storage.getStore();
}

/** A uniform random number in [0, 1). */
export type Random = () => number;

/**
 * Random numbers for what a task draws (a mock event's source, a mock GRB's position): seeded by the task's ID, so a
 * task run again draws the same values and writes the same thing (which gracedb-once then skips). Outside a task,
 * Math.random.
 */
export function taskRandom(salt = ''): Random {
  const task = currentTask();
  if (!task) return Math.random;
  // mulberry32, seeded from the task ID: small, fast and well spread; not for anything secret.
  let state = createHash('sha256').update(`${task.id}\n${salt}`).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** "Now" as a task sees it: when it was submitted (the same in every run of it), or the clock outside a task. */
export function taskNow(): Date {
  const task = currentTask();
  return new Date(task ? task.submittedAt : Date.now());
}
