// The process-wide default client, so that `task.delay()` works as in Celery (its current_app).
import type { Canvas } from './types.js';
import type { AsyncResult } from './async-result.js';

/** What `task.delay()` needs of the client: submitting a canvas (Submitter is one). */
export interface Submitter {
  apply(canvas: Canvas, options?: { submittedBy?: string; id?: string }): Promise<AsyncResult>;
}

let current: Submitter | undefined;

export function setCurrentClient(client: Submitter | undefined): void {
  current = client;
}

export function currentClient(): Submitter {
  if (!current) throw new Error('no gwqueue client is connected: create one with connectClient() first');
  return current;
}
