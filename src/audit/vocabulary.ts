// The one vocabulary of audit action names: what every operator action is called in the audit log, whatever its entry point.
// It lives in audit/ (not actions/) so that forms/, which sits below actions/, can name its entries too; docs/actions.md
// is checked against it by test/audit/vocabulary.test.ts.

/** The remote commands a worker obeys that change something (ping only reads, and is not audited). */
export const WORKER_COMMANDS = ['concurrency', 'shutdown'] as const;
export type WorkerCommand = (typeof WORKER_COMMANDS)[number];

export const ACTION_NAMES = {
  taskRetry: 'task.retry',
  taskCancel: 'task.cancel',
  queuePause: 'queue.pause',
  queueResume: 'queue.resume',
  queueClean: 'queue.clean',
  queuePurge: 'queue.purge',
  workerForget: 'worker.forget',
  workerConcurrency: 'worker.concurrency',
  workerShutdown: 'worker.shutdown',
  taskCall: 'task.call',
  shellSubmit: 'shell.submit',
} as const;

export type FixedActionName = (typeof ACTION_NAMES)[keyof typeof ACTION_NAMES];
export type ActionName = FixedActionName | `form.${string}` | `gracedb.${string}`;

/** Every console form is audited as `form.<name>` (its POST path without the slash), from the browser, the API or `gwqueue chain`. */
export function formAction(form: string): `form.${string}` {
  return `form.${form}`;
}

/** Every write through the console's GraceDB API is audited as `gracedb.<write>` (e.g. `gracedb.event.create`). */
export function gracedbAction(write: string): `gracedb.${string}` {
  return `gracedb.${write}`;
}

export function workerAction(command: WorkerCommand): FixedActionName {
  return `worker.${command}`;
}

/** Every name, patterns written as the docs write them (`form.<name>`). */
export function allActionNames(): string[] {
  return [...Object.values(ACTION_NAMES), 'form.<name>', 'gracedb.<write>'];
}
