// Nagios check thresholds from configuration: `warning,critical` pairs in the Nagios range syntax, per metric.
import { ConfigError, parseBoolean } from './parse.js';

type Env = Record<string, string | undefined>;

export type NagiosMetric =
  'waiting' | 'oldest-waiting-age' | 'failure-ratio' | 'failed-alerts' | 'workers-online' | 'canary-age' | 'redis-memory';

export interface NagiosConfig {
  thresholds: Partial<Record<NagiosMetric, { warning: string; critical: string }>>;
  /** Whether the check looks at the end-to-end canary (the newest MDC superevent, the last scheduled uploads). */
  canary: boolean;
}

const METRIC_SETTINGS: Record<string, NagiosMetric> = {
  GWQUEUE_NAGIOS_WAITING: 'waiting',
  GWQUEUE_NAGIOS_OLDEST_WAITING_AGE: 'oldest-waiting-age',
  GWQUEUE_NAGIOS_FAILURE_RATIO: 'failure-ratio',
  GWQUEUE_NAGIOS_FAILED_ALERTS: 'failed-alerts',
  GWQUEUE_NAGIOS_WORKERS_ONLINE: 'workers-online',
  GWQUEUE_NAGIOS_CANARY_AGE: 'canary-age',
  GWQUEUE_NAGIOS_REDIS_MEMORY: 'redis-memory',
};

export const NAGIOS_SETTINGS: Record<string, { default: string; help: string }> = {
  GWQUEUE_NAGIOS_WAITING: { default: '10,50', help: 'waiting tasks per queue: warning,critical (Nagios ranges)' },
  GWQUEUE_NAGIOS_OLDEST_WAITING_AGE: { default: '30,120', help: 'seconds the oldest waiting task may wait: warning,critical' },
  GWQUEUE_NAGIOS_FAILURE_RATIO: { default: '0.05,0.2', help: 'failed / finished tasks over the last 15 minutes: warning,critical' },
  GWQUEUE_NAGIOS_FAILED_ALERTS: { default: '0,2', help: 'alerts that failed to reach the outbox in the last hour: warning,critical' },
  GWQUEUE_NAGIOS_WORKERS_ONLINE: { default: '(none)', help: 'workers online: warning,critical, e.g. 2:,1: to want at least two' },
  GWQUEUE_NAGIOS_CANARY: {
    default: 'on (off under test)',
    help: 'check the end-to-end canary: the age of the newest MDC superevent (made by the mock-event schedule) and the last scheduled uploads',
  },
  GWQUEUE_NAGIOS_CANARY_AGE: {
    default: '4200,21600',
    help: "seconds since the newest MDC superevent was created: warning,critical (GWCelery's 1 h + 10 min and 6 h)",
  },
  GWQUEUE_NAGIOS_REDIS_MEMORY: {
    default: '80,95',
    help: "Redis' used memory in % of its maxmemory: warning,critical (full, Redis refuses every write: nothing is submitted, no task moves on)",
  },
};

const RANGE = /^@?(~|[-+]?\d+(\.\d+)?)?(:([-+]?\d+(\.\d+)?)?)?$/;

export function loadNagiosConfig(env: Env, profile = 'development'): NagiosConfig {
  const thresholds: NagiosConfig['thresholds'] = {};
  for (const [setting, metric] of Object.entries(METRIC_SETTINGS)) {
    const raw = env[setting]?.trim();
    if (!raw) continue;
    const parts = raw.split(',');
    if (parts.length !== 2 || !parts.every((part) => part === '' || RANGE.test(part.trim()))) {
      throw new ConfigError(setting, `must be "warning,critical" in the Nagios range syntax, e.g. 10,50 or 30:,10: (got "${raw}")`);
    }
    thresholds[metric] = { warning: parts[0].trim(), critical: parts[1].trim() };
  }
  // Off under test: a test's deployment has no hourly mock event unless it asks for one.
  return { thresholds, canary: parseBoolean(env, 'GWQUEUE_NAGIOS_CANARY', profile !== 'test') };
}
