// A write that must land even though Redis is away right now (a done submission's key record and audit entry, a claim's release): tried again when Redis is back, within a bound.
import type { Redis } from 'ioredis';
import { redisFault } from './errors.js';

/** How long a write is tried again at most: longer than a Redis restart or a failover, shorter than a claim's day. */
export const UNTIL_WRITTEN_MS = 10 * 60_000;

export interface UntilWrittenOptions {
  /** Give up after this long (default UNTIL_WRITTEN_MS). */
  boundMs?: number;
  /**
   * Whether the write may simply be sent again after it went out unanswered (a SET, a compare-and-delete); one that
   * may not (an XADD) must check for itself that it was not done (`write` is then such a check-and-write).
   */
  idempotent: boolean;
}

const sleep = (ms: number) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Resolves at once if the connection is ready, else when it is, or after `ms`: a write is not tried against nothing. */
function readyOrAfter(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return sleep(ms).then(() => undefined);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    redis.once('ready', done);
  });
}

/**
 * Tries `write` until Redis takes it: again after Redis trouble (refused, away, out of memory, not answered), with a
 * backoff up to 2 s and once the connection is ready again; not after any other error (a bug, a wrong type). Never
 * rejects: resolves `true` once written, `false` when it gave up (the error that ended it in `error`). Its timers do
 * not hold a process that is leaving.
 */
export async function untilWritten(
  redis: Redis,
  write: () => Promise<unknown>,
  options: UntilWrittenOptions,
): Promise<{ written: boolean; attempts: number; error?: unknown }> {
  const deadline = Date.now() + (options.boundMs ?? UNTIL_WRITTEN_MS);
  let delay = 100;
  for (let attempts = 1; ; attempts++) {
    try {
      await write();
      return { written: true, attempts };
    } catch (error) {
      const fault = redisFault(error, true);
      // Unanswered, a write that is not idempotent may have been done: sending it again could do it twice.
      if (!fault || (fault === 'no-answer' && !options.idempotent) || redis.status === 'end' || Date.now() + delay > deadline)
        return { written: false, attempts, error };
      await readyOrAfter(redis, delay);
      delay = Math.min(2 * delay, 2000);
    }
  }
}
