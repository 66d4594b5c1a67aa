// The remote commands a worker obeys that change something, listed once: the actions that send them, the control protocol and the pipeline's port read this.
export const WORKER_COMMANDS = ['concurrency', 'shutdown'] as const;
export type WorkerCommand = (typeof WORKER_COMMANDS)[number];
