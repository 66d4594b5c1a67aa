// The start of a long-running process: steps that a stop request cuts short, and what each step started, closed (each within a bound) when a later step fails.
import type { Logger } from 'pino';
import { stopStep } from './stop-step.js';

/** A stop (SIGTERM, SIGINT) was asked before the start finished: not a failure; what had started was closed. */
export class StartStopped extends Error {
  constructor(readonly reason: string) {
    super(`stopped (${reason}) while starting`);
    this.name = 'StartStopped';
  }
}

interface Started {
  what: string;
  close: () => unknown;
  ms: number;
}

/**
 * One start-up: `step()` waits for a step unless a stop is asked first; `started()` records how to close what a step
 * started. `runStartUp` closes those, newest first, when the start throws (a failed step, or the stop request), so a
 * process that cannot start never keeps half of itself running: no consumer taking jobs, no port held, no child left.
 */
export class StartUp {
  private readonly closers: Started[] = [];

  constructor(
    private readonly log: Logger,
    private readonly signal?: AbortSignal,
  ) {}

  /** Throws StartStopped when a stop has been asked. */
  check(): void {
    if (this.signal?.aborted) throw new StartStopped(String(this.signal.reason ?? 'stop requested'));
  }

  /**
   * Waits for `work`, or throws StartStopped as soon as a stop is asked: a step that waits for Redis (refused, or hung
   * with its sockets open) must not hold a stop. What the step was doing is closed by what was recorded with started().
   */
  async step<T>(work: Promise<T>): Promise<T> {
    if (this.signal?.aborted) {
      // Left behind: its failure once what it waits for is closed (the connection it waits on) is no crash.
      work.catch(() => {});
      this.check();
    }
    const signal = this.signal;
    if (!signal) return work;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<never>((_, reject) => {
      onAbort = () => reject(new StartStopped(String(signal.reason ?? 'stop requested')));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, stopped]);
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }

  /** How to close what a step just started, if the start does not finish; waited for at most `ms`. */
  started(what: string, close: () => unknown, ms = 200): void {
    this.closers.push({ what, close, ms });
  }

  /** Closes what was started, newest first, each within its bound; resolves true when everything closed in time. */
  async closeStarted(): Promise<boolean> {
    let clean = true;
    for (const { what, close, ms } of this.closers.splice(0).reverse()) {
      const closing = (async () => close())();
      clean = (await stopStep(this.log, closing, ms, `closing ${what} (the start did not finish)`)) && clean;
    }
    return clean;
  }
}

/** Runs a start-up; when it throws (a step failed, or a stop was asked), closes what it started, then rethrows. */
export async function runStartUp<T>(log: Logger, signal: AbortSignal | undefined, build: (start: StartUp) => Promise<T>): Promise<T> {
  const start = new StartUp(log, signal);
  try {
    start.check();
    return await build(start);
  } catch (error) {
    await start.closeStarted();
    throw error;
  }
}
