// What the web app is built from (createApp's dependencies), shared by the handlers.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { TaskClient } from '../queue/client.js';
import type { Canvas } from '../queue/canvas.js';
import type { GraceDb } from '../gracedb/index.js';

export interface WebDeps {
  config: Config;
  client: TaskClient;
  gracedb: GraceDb;
  /** Builds the operator chain for a form (from tasks/operator-chains.ts); web never imports a task's implementation. */
  buildOperatorCanvas(form: string, fields: Record<string, string>, user: string): Canvas;
  /** The address the server listens on (decides whether the development local user may submit). */
  listenHost?: string;
  /** GraceDB URL when a real one is used (shown on the console). */
  gracedbUrl?: string;
}

export interface WebContext extends WebDeps {
  redis: Redis;
  /** GraceDB shown on the console: its URL, or "embedded". */
  gracedbLabel: string;
}
