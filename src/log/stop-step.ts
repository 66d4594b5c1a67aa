// One step of a process's stop, waited for at most a bound: what did not finish in time is logged, never waited for.
import type { Logger } from 'pino';

/**
 * Waits for `work` at most `ms` (nothing in a stop path may wait on Redis without a bound: with Redis away or hung, a
 * connection queues or holds commands until it returns). Logs a warning naming `what` when the bound was reached.
 * Resolves true when the work finished (or failed) in time, false when it was left behind.
 */
export function stopStep(
  log: Logger,
  work: Promise<unknown>,
  ms: number,
  what: string,
  fields: Record<string, unknown> = {},
): Promise<boolean> {
  let timeout: NodeJS.Timeout | undefined;
  return Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timeout = setTimeout(
        () => {
          log.warn({ ...fields, what, waitedMs: ms }, 'shutdown: not finished in time (Redis away?); going on without it');
          resolve(false);
        },
        Math.max(0, ms),
      );
    }),
  ]).finally(() => clearTimeout(timeout));
}
