// Nagios check thresholds from configuration: `warning,critical` pairs in the Nagios range syntax, per metric.
import { ConfigError } from './parse.js';
import { boolean, custom, type Reader, type Setting, type Env } from './setting.js';

export type NagiosMetric =
  'waiting' | 'oldest-waiting-age' | 'failure-ratio' | 'failed-alerts' | 'workers-online' | 'canary-age' | 'redis-memory';

export interface NagiosConfig {
  thresholds: Partial<Record<NagiosMetric, { warning: string; critical: string }>>;
  /** Whether the check looks at the end-to-end canary (the newest MDC superevent, the last scheduled uploads). */
  canary: boolean;
}

/** `gwqueue nagios` and `gwqueue munin`, and the console's readiness check (GET /health). */
const CHECKERS: readonly Reader[] = ['cli', 'console'];

/**
 * The check's defaults, declared here once (the check, Munin's limits and the settings' docs read them): a queue warns
 * above 10 waiting tasks and is critical above 50; its oldest waiting task above 30 s / 120 s; more than 5 % / 20 % of
 * the tasks finished in the last 15 minutes failed; any alert that failed to reach the outbox warns, more than 2 are
 * critical; no threshold on the number of workers (a queue without one is critical anyway); the newest MDC superevent
 * older than 1 h + 10 min warns, older than 6 h is critical (GWCelery's check); Redis using more than 80 % of its
 * `maxmemory` warns, more than 95 % is critical (full, it refuses every write: no enqueue, no task progress).
 */
export const DEFAULT_THRESHOLDS: Readonly<Record<NagiosMetric, { warning: string; critical: string }>> = Object.freeze({
  waiting: { warning: '10', critical: '50' },
  'oldest-waiting-age': { warning: '30', critical: '120' },
  'failure-ratio': { warning: '0.05', critical: '0.2' },
  'failed-alerts': { warning: '0', critical: '2' },
  'workers-online': { warning: '', critical: '' },
  'canary-age': { warning: '4200', critical: '21600' },
  'redis-memory': { warning: '80', critical: '95' },
});

/** One `warning,critical` pair; unset: the check's default (DEFAULT_THRESHOLDS), which the docs show. */
function thresholds(name: string, metric: NagiosMetric, help: string) {
  const { warning, critical } = DEFAULT_THRESHOLDS[metric];
  return {
    metric,
    setting: custom(name, {
      kind: 'range pair',
      shown: warning || critical ? `${warning},${critical}` : '(none)',
      help,
      readBy: CHECKERS,
      read: (env) => {
        const raw = env[name]?.trim();
        if (!raw) return undefined;
        const parts = raw.split(',');
        if (parts.length !== 2 || !parts.every((part) => part === '' || RANGE.test(part.trim()))) {
          throw new ConfigError(name, `must be "warning,critical" in the Nagios range syntax, e.g. 10,50 or 30:,10: (got "${raw}")`);
        }
        return { warning: parts[0].trim(), critical: parts[1].trim() };
      },
    }),
  };
}

const RANGE = /^@?(~|[-+]?\d+(\.\d+)?)?(:([-+]?\d+(\.\d+)?)?)?$/;

const THRESHOLDS = [
  thresholds('GWQUEUE_NAGIOS_WAITING', 'waiting', 'waiting tasks per queue: warning,critical (Nagios ranges)'),
  thresholds('GWQUEUE_NAGIOS_OLDEST_WAITING_AGE', 'oldest-waiting-age', 'seconds the oldest waiting task may wait: warning,critical'),
  thresholds('GWQUEUE_NAGIOS_FAILURE_RATIO', 'failure-ratio', 'failed / finished tasks over the last 15 minutes: warning,critical'),
  thresholds('GWQUEUE_NAGIOS_FAILED_ALERTS', 'failed-alerts', 'alerts that failed to reach the outbox in the last hour: warning,critical'),
  thresholds('GWQUEUE_NAGIOS_WORKERS_ONLINE', 'workers-online', 'workers online: warning,critical, e.g. 2:,1: to want at least two'),
];

const CANARY = boolean('GWQUEUE_NAGIOS_CANARY', {
  // Off under test: a test's deployment has no hourly mock event unless it asks for one.
  default: (profile) => profile !== 'test',
  shown: 'on (off under test)',
  help: 'check the end-to-end canary: the age of the newest MDC superevent (made by the mock-event schedule) and the last scheduled uploads',
  readBy: CHECKERS,
});

const LATER_THRESHOLDS = [
  thresholds(
    'GWQUEUE_NAGIOS_CANARY_AGE',
    'canary-age',
    "seconds since the newest MDC superevent was created: warning,critical (GWCelery's 1 h + 10 min and 6 h)",
  ),
  thresholds(
    'GWQUEUE_NAGIOS_REDIS_MEMORY',
    'redis-memory',
    "Redis' used memory in % of its maxmemory: warning,critical (full, Redis refuses every write: nothing is submitted, no task moves on)",
  ),
];

export const NAGIOS_SETTINGS: readonly Setting[] = [
  ...THRESHOLDS.map(({ setting }) => setting),
  CANARY,
  ...LATER_THRESHOLDS.map(({ setting }) => setting),
];

export function loadNagiosConfig(env: Env, profile = 'development'): NagiosConfig {
  const out: NagiosConfig['thresholds'] = {};
  for (const { metric, setting } of [...THRESHOLDS, ...LATER_THRESHOLDS]) {
    const pair = setting.read(env, profile);
    if (pair) out[metric] = pair;
  }
  return { thresholds: out, canary: CANARY.read(env, profile) };
}
