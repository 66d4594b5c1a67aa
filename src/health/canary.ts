// The end-to-end canary: the newest MDC superevent in GraceDB (made from the scheduled mock event) and the last scheduled runs.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { createGraceDb, dateToGps } from '../gracedb/index.js';
import { parseGraceDbTime } from '../gracedb/gps-time.js';
import { bullPrefix } from '../redis/keys.js';
import { readSchedules, type ScheduleView } from '../schedules/schedulers.js';

/** How far back the canary looks at least: GWCelery's check searches six hours; a day shows how stale it is. */
export const CANARY_MIN_LOOKBACK_MS = 24 * 3_600_000;

export interface CanaryMeasurement {
  /** The newest MDC superevent whose t_0 lies within the lookback, or null when there is none. */
  newest: { supereventId: string; createdAt: number } | null;
  lookbackMs: number;
  /** Why GraceDB could not be read (the canary is then UNKNOWN, the rest of the check stands). */
  error: string | null;
  /** Every declared schedule with its last run. */
  schedules: ScheduleView[];
}

const TIMED_OUT = Symbol('timed out');

function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => {});
  return Promise.race([
    promise,
    new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms)))),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Reads the canary within `timeoutMs` (a slow GraceDB makes the canary UNKNOWN, not the whole check). Superevents are
 * searched by t_0 over the lookback, as GWCelery's check does, and the newest by creation time is taken.
 */
export async function readCanary(
  redis: Redis,
  config: Config,
  options: { now: number; lookbackMs: number; timeoutMs: number },
): Promise<CanaryMeasurement> {
  const gracedb = createGraceDb({
    url: config.domain.gracedbUrl,
    token: config.domain.gracedbToken,
    basicAuth: config.domain.gracedbBasicAuth,
    // One attempt: a health check reports what it finds now, it does not wait out a flaky GraceDB.
    retry: { attempts: 1, timeoutMs: Math.max(100, Math.floor(options.timeoutMs)) },
    redis,
    prefix: bullPrefix(config),
  });
  const to = dateToGps(new Date(options.now));
  const from = to - options.lookbackMs / 1000;
  const search = gracedb.searchSuperevents(`MDC t_0: ${from.toFixed(0)} .. ${Math.ceil(to)}`, { sort: '-created', count: 1 });
  const [found, schedules] = await Promise.all([
    within(search, options.timeoutMs).catch((error: unknown) => error as Error),
    readSchedules(redis, config),
  ]);
  const base = { lookbackMs: options.lookbackMs, schedules };
  if (found === TIMED_OUT) return { ...base, newest: null, error: `GraceDB did not answer within ${options.timeoutMs} ms` };
  if (found instanceof Error) return { ...base, newest: null, error: found.message.split('\n')[0] };
  const newest = found.filter((superevent) => superevent.category === 'MDC')[0];
  return {
    ...base,
    newest: newest ? { supereventId: newest.superevent_id, createdAt: parseGraceDbTime(newest.created).getTime() } : null,
    error: null,
  };
}
