// The task a worker is running right now (AsyncLocalStorage), so that deep code can tie a side effect to its task ID.
import { AsyncLocalStorage } from 'node:async_hooks';
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
