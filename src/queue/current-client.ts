// The process-wide default client, so that `task.delay()` works as in Celery (its current_app).
import type { TaskClient } from './client.js';

let current: TaskClient | undefined;

export function setCurrentClient(client: TaskClient | undefined): void {
  current = client;
}

export function currentClient(): TaskClient {
  if (!current) throw new Error('no gwqueue client is connected: create one with connectClient() first');
  return current;
}
