// Redis being unreachable, told once per outage, then at a slowing rate (a count and the time since it was last reachable), and when it is back: the one home for logging connection errors.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * When, after an outage's first line, a summary is due (seconds): slowing, then every 10 minutes. An hour's outage
 * is the first line, 11 summaries and the line that says Redis is back (outageLines(3600) = 13).
 */
export const SUMMARY_AFTER_S = [10, 30, 60, 120, 300, 600, 1200] as const;
const SUMMARY_EVERY_S = 600;

/** Seconds after the first line at which summary number `n` (0-based) is due. */
export function summaryDueS(n: number): number {
  const last = SUMMARY_AFTER_S[SUMMARY_AFTER_S.length - 1];
  return n < SUMMARY_AFTER_S.length ? SUMMARY_AFTER_S[n] : last + (n - SUMMARY_AFTER_S.length + 1) * SUMMARY_EVERY_S;
}

/** The most lines an outage of `seconds` can log, however often connections fail: first line, summaries, back. */
export function outageLines(seconds: number): number {
  let summaries = 0;
  while (summaryDueS(summaries) <= seconds) summaries++;
  return 1 + summaries + 1;
}

/** An error that says the connection could not be made or was lost (not a command's own error). */
const CONNECTION_ERROR =
  /ECONNREFUSED|ECONNRESET|ENOENT|EACCES|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ENOTFOUND|EAI_AGAIN|Connection is closed|Stream isn't writeable|All sentinels are unreachable|connect ETIMEDOUT/i;

export function isConnectionError(error: unknown): boolean {
  return CONNECTION_ERROR.test(error instanceof Error ? error.message : String(error));
}

const seconds = (ms: number) => Math.round(ms / 1000);

/**
 * One per process and Redis: every connection to it (a worker's, BullMQ's own per queue, the console's) reports here,
 * so a reconnect loop of twenty connections is still one line, then a summary at 10 s, 30 s, 1 min, 2 min, 5 min,
 * 10 min, 20 min, and every 10 minutes after.
 */
export class OutageLog {
  private down = false;
  private since = 0;
  private failures = 0;
  private summaries = 0;
  private lastError = '';
  private lastReachable: number | undefined;
  private closed = false;
  private readonly startedAt: number;

  constructor(
    private readonly log: Logger,
    /** Where Redis is, without a password (describeRedis). */
    private readonly where: string,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  private lastSeen(at: number): string {
    return this.lastReachable === undefined
      ? `not reached since the start ${seconds(at - this.startedAt)} s ago`
      : `last reachable ${seconds(at - this.lastReachable)} s ago`;
  }

  /** A connection failed; logs only the outage's first failure and the summaries that are due. */
  failed(error: unknown): void {
    if (this.closed) return;
    const at = this.now();
    this.lastError = (error instanceof Error ? error.message : String(error)).slice(0, 200);
    this.failures++;
    if (!this.down) {
      this.down = true;
      this.since = at;
      this.failures = 1;
      this.summaries = 0;
      this.log.warn(
        { redis: this.where, err: { message: this.lastError } },
        `Redis at ${this.where} unreachable (${this.lastError}); retrying, reported again in ${summaryDueS(0)} s if it stays away`,
      );
      return;
    }
    if (at - this.since < summaryDueS(this.summaries) * 1000) return;
    this.summaries++;
    this.log.warn(
      { redis: this.where, failedAttempts: this.failures, downForS: seconds(at - this.since), err: { message: this.lastError } },
      `Redis at ${this.where} still unreachable: ${this.failures} failed attempts in ${seconds(at - this.since)} s, ${this.lastSeen(at)} (${this.lastError})`,
    );
  }

  /** A connection is ready: Redis is reachable (again). */
  reachable(): void {
    const at = this.now();
    if (this.down && !this.closed) {
      this.log.info(
        { redis: this.where, failedAttempts: this.failures, downForS: seconds(at - this.since) },
        `Redis at ${this.where} reachable again after ${seconds(at - this.since)} s (${this.failures} failed attempts)`,
      );
    }
    this.down = false;
    this.lastReachable = at;
  }

  /** Reports the errors and readiness of an ioredis connection here. */
  watch(redis: Redis): Redis {
    redis.on('error', (error: Error) => {
      if (isConnectionError(error)) this.failed(error);
    });
    redis.on('ready', () => this.reachable());
    return redis;
  }

  /** The process is stopping: the connections it closes now are not an outage. */
  close(): void {
    this.closed = true;
  }
}
