// Error types shared by the task engine, the worker and the CLI's exit-code mapping.
import { redisFault } from '../redis/errors.js';

/** No task is registered under that name; `suggestions` holds the closest registered names. */
export class UnknownTaskError extends Error {
  constructor(
    readonly taskName: string,
    readonly suggestions: string[],
  ) {
    super(`unknown task "${taskName}"` + (suggestions.length ? `; did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : ''));
    this.name = 'UnknownTaskError';
  }
}

/** The arguments do not fit the task's schema: never retried. */
export class TaskArgumentError extends Error {
  constructor(
    readonly taskName: string,
    readonly problems: string[],
  ) {
    super(`bad arguments for ${taskName}: ${problems.join('; ')}`);
    this.name = 'TaskArgumentError';
  }
}

/** A canvas (chain/group) that cannot be built, e.g. an empty chain. */
export class CanvasError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CanvasError';
  }
}

/** Throw (or subclass) this from a task for a failure worth retrying with backoff. */
export class TransientError extends Error {
  readonly transient = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TRANSIENT_HTTP = new Set([408, 429, 502, 503, 504]);

/**
 * Redis trouble (redisFault in redis/errors.ts: the connection gone, a command unanswered, Redis out of memory, a server
 * LOADING, READONLY or failing over): whatever a task was doing (reading, writing, enqueueing its next step) is worth
 * doing again once Redis is back; it never fails a task for good while attempts remain (GWQUEUE_RETRY_REDIS_ATTEMPTS).
 */
export function isRedisTrouble(error: unknown): boolean {
  return redisFault(error) !== undefined;
}

/** Network trouble, Redis trouble and HTTP 408/429/502/503/504 are transient; everything else fails the task at once. */
export function isTransient(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  if (isRedisTrouble(error)) return true;
  const e = error as { transient?: unknown; code?: unknown; status?: unknown; cause?: unknown };
  if (e.transient === true) return true;
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  if (typeof e.status === 'number' && TRANSIENT_HTTP.has(e.status)) return true;
  return e.cause !== undefined && e.cause !== error ? isTransient(e.cause) : false;
}
