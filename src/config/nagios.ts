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

/** One `warning,critical` pair; unset: the check's own default, which `shown` repeats (src/health). */
function thresholds(name: string, metric: NagiosMetric, shown: string, help: string) {
  return {
    metric,
    setting: custom(name, {
      kind: 'range pair',
      shown,
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
  thresholds('GWQUEUE_NAGIOS_WAITING', 'waiting', '10,50', 'waiting tasks per queue: warning,critical (Nagios ranges)'),
  thresholds(
    'GWQUEUE_NAGIOS_OLDEST_WAITING_AGE',
    'oldest-waiting-age',
    '30,120',
    'seconds the oldest waiting task may wait: warning,critical',
  ),
  thresholds(
    'GWQUEUE_NAGIOS_FAILURE_RATIO',
    'failure-ratio',
    '0.05,0.2',
    'failed / finished tasks over the last 15 minutes: warning,critical',
  ),
  thresholds(
    'GWQUEUE_NAGIOS_FAILED_ALERTS',
    'failed-alerts',
    '0,2',
    'alerts that failed to reach the outbox in the last hour: warning,critical',
  ),
  thresholds(
    'GWQUEUE_NAGIOS_WORKERS_ONLINE',
    'workers-online',
    '(none)',
    'workers online: warning,critical, e.g. 2:,1: to want at least two',
  ),
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
    '4200,21600',
    "seconds since the newest MDC superevent was created: warning,critical (GWCelery's 1 h + 10 min and 6 h)",
  ),
  thresholds(
    'GWQUEUE_NAGIOS_REDIS_MEMORY',
    'redis-memory',
    '80,95',
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
