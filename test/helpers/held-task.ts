// A task that runs until the test releases it, for pages of a running task (the worker must run in the test's process).
import { defineTask } from '../../src/queue/registry.js';

export function heldTask(name: string) {
  let started = (): void => undefined;
  const holding = new Promise<void>((resolve) => (started = resolve));
  let release = (): void => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const task = defineTask({
    name,
    description: 'Runs until the test releases it.',
    params: {},
    async run() {
      started();
      await released;
      return 'released';
    },
  });
  /** `holding` resolves once the task runs; `release()` lets it finish. */
  return { task, holding, release: () => release() };
}
