// Alerts that failed to reach the outbox lately: the outbox's failure counter only grows, so the check keeps dated samples of it.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { alertFailureSamplesKey } from '../redis/keys.js';
import { redisFault, type RedisFault } from '../redis/errors.js';
import { alertFailureCount } from '../alerts/outbox.js';
import { DEFAULT_ALERT_FAILURE_WINDOW_MS } from './check-types.js';

export interface AlertFailureReading {
  /** The counter: failures since it was created. */
  total: number;
  /** Its growth within the window (the checked value). */
  recent: number;
  /** Set when Redis refused to record this sample (full: out of memory); the growth is then read from the older ones. */
  refused?: RedisFault;
}

/** Samples are dated to the start of a slot of this share of the window: at most ~120 in the window, however often checked. */
const SLOTS_PER_WINDOW = 120;

/**
 * Reads the counter, records it as a sample and returns its growth since the oldest sample within the window. The first
 * check ever sees no growth; a counter that went back (reset) counts from zero. Anyone may ask /readyz: a sample is one
 * per slot and counter value (a check in the same slot finds its member there), so a flood of checks adds nothing.
 */
export async function readAlertFailures(
  redis: Redis,
  config: Config,
  now: number,
  windowMs = DEFAULT_ALERT_FAILURE_WINDOW_MS,
): Promise<AlertFailureReading> {
  const total = await alertFailureCount(redis, config);
  if (!Number.isSafeInteger(total) || total < 0) throw new Error('the alert failure counter does not hold a count');
  const key = alertFailureSamplesKey(config);
  const slot = Math.max(1, Math.floor(windowMs / SLOTS_PER_WINDOW));
  const at = now - (now % slot);
  let oldest: string | undefined;
  let refused: RedisFault | undefined;
  try {
    const replies = await redis
      .multi()
      .zremrangebyscore(key, '-inf', `(${now - windowMs}`)
      .zadd(key, at, `${at}:${total}`)
      .zrange(key, 0, 0)
      .pexpire(key, windowMs * 2)
      .exec();
    const failed = replies?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
    oldest = (replies?.[2]?.[1] as string[] | undefined)?.[0];
  } catch (error) {
    // A full Redis refuses the sample (EXECABORT, OOM) but still answers reads: judge by the samples it has, and let
    // the check say that Redis is full rather than fail.
    if (redisFault(error, true) !== 'out-of-memory') throw error;
    refused = 'out-of-memory';
    oldest = (await redis.zrangebyscore(key, now - windowMs, '+inf', 'LIMIT', 0, 1))[0];
  }
  const baseline = oldest ? Number(oldest.split(':')[1]) : total;
  return { total, recent: total >= baseline ? total - baseline : total, ...(refused ? { refused } : {}) };
}
