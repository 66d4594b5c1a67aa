// Redis faults: the one table that says what a Redis error means (not done, or not known), and the error every Redis-facing path turns one into.

/**
 * What went wrong with a Redis command, and so whether it was done:
 * - `unreachable`: no connection (refused, lost before sending, offline): not sent, not done;
 * - `no-answer`: sent, and no answer came (timed out, the connection dropped while it was in flight): it may have been done;
 * - `out-of-memory`: Redis refused it because `maxmemory` is reached (with `noeviction`, as BullMQ needs): not done. A
 *   MULTI is refused as a whole (EXECABORT) and a script at its first write, before it has written anything, so a
 *   refused enqueue left nothing behind;
 * - `not-ready`: the server refused it for now (LOADING its data, READONLY replica, MASTERDOWN, TRYAGAIN, CLUSTERDOWN,
 *   BUSY with a script): not done.
 */
export type RedisFault = 'unreachable' | 'no-answer' | 'out-of-memory' | 'not-ready';

/** Redis could not be reached, did not answer, or refused for now (CLI exit 69, web 503; a worker retries). */
export class RedisUnavailableError extends Error {
  /** Inside a worker, Redis trouble is worth a retry with backoff, never a final failure (queue/errors.ts). */
  readonly transient = true;
  /** What went wrong; `uncertain` is `fault === 'no-answer'` for the errors this project makes. */
  readonly fault: RedisFault;
  constructor(
    message: string,
    /** A command went out and no answer came back: it may have been done (an enqueue may exist). */
    readonly uncertain = false,
    /** What an operator is told, when more is known than "Redis did not answer" (a write no replica confirmed). */
    readonly explanation?: string,
    fault?: RedisFault,
  ) {
    super(message);
    this.name = 'RedisUnavailableError';
    this.fault = fault ?? (uncertain ? 'no-answer' : 'unreachable');
  }
}

// Redis' own refusals (error replies): the command was not done.
const OUT_OF_MEMORY = /\bOOM command not allowed\b|is out of memory \(maxmemory reached\)/;
const NOT_READY = /^(LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|BUSY)\b/;
// ioredis' words: a command that went out and got no answer, and a connection that was not there to send it on.
const NO_ANSWER = /Command timed out|Connection is closed|max retries per request|no answer from Redis/i;
const UNREACHABLE = /enableOfflineQueue|Stream isn't writeable|All sentinels are unreachable|cannot (reach|connect to) Redis/i;
// A bare network error says "Redis" only when it is known to come from a Redis command.
const NETWORK = /ECONNREFUSED|ENOENT|ETIMEDOUT/;

/**
 * What a Redis error says (see RedisFault), or undefined when it is not Redis trouble (a bug, a wrong type, an error of
 * the task's own). `fromRedis`: the error is known to come from a Redis command, so that bare network errors
 * (ECONNREFUSED…) count too; without it (a task's error, which may come from an HTTP call) they do not.
 */
export function redisFault(error: unknown, fromRedis = false, depth = 0): RedisFault | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  if (error instanceof RedisUnavailableError) return error.fault;
  const e = error as { name?: unknown; message?: unknown; cause?: unknown; previousErrors?: unknown; fault?: unknown };
  if (e.name === 'RedisUnavailableError' && typeof e.fault === 'string') return e.fault as RedisFault;
  const message = typeof e.message === 'string' ? e.message : '';
  // A MULTI refused as a whole names its reason in the errors of the commands it queued (OOM, READONLY…).
  if (/^EXECABORT\b/.test(message) && Array.isArray(e.previousErrors)) {
    for (const previous of e.previousErrors) {
      const fault = redisFault(previous, fromRedis, depth + 1);
      if (fault) return fault;
    }
  }
  if (OUT_OF_MEMORY.test(message)) return 'out-of-memory';
  if (NOT_READY.test(message)) return 'not-ready';
  if (e.name === 'MaxRetriesPerRequestError' || NO_ANSWER.test(message)) return 'no-answer';
  if (UNREACHABLE.test(message) || (fromRedis && NETWORK.test(message))) return 'unreachable';
  return e.cause !== undefined && e.cause !== error ? redisFault(e.cause, fromRedis, depth + 1) : undefined;
}

/** What an operator is told a fault means, in a few words ("Redis is out of memory"). */
export function describeFault(fault: RedisFault, where: string): string {
  switch (fault) {
    case 'out-of-memory':
      return `Redis at ${where} is out of memory (maxmemory reached) and refuses writes`;
    case 'not-ready':
      return `Redis at ${where} refused the command for now (loading, read-only or failing over)`;
    case 'no-answer':
      return `no answer from Redis at ${where}`;
    default:
      return `cannot reach Redis at ${where}`;
  }
}
