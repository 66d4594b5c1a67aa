// Observability settings: Sentry, log files and their rotation, host sampling for the Host page, worker metrics port.
import path from 'node:path';
import { ConfigError, parseBoolean, parseInteger } from './parse.js';

type Env = Record<string, string | undefined>;

export interface ObservabilityConfig {
  /** Sentry DSN; undefined: nothing is sent anywhere. */
  sentryDsn: string | undefined;
  log: {
    /** Folder of the log files (one per process kind: gwqueue-worker.log, gwqueue-web.log, gwqueue-cli.log…). */
    dir: string;
    file: boolean;
    /** Also write JSON lines to the terminal (stdout for servers, stderr for one-shot commands). */
    console: boolean;
    /** Rotate a log file when it reaches this many bytes. */
    maxBytes: number;
    /** Rotated files kept (gwqueue-worker.log.1 … .N). */
    maxFiles: number;
  };
  host: {
    /** How often each worker and web process samples this host and itself; 0 turns sampling off. */
    sampleIntervalMs: number;
    /** How long samples are kept in Redis. */
    retentionSeconds: number;
  };
  /** Where a worker serves GET /metrics; no port: not served. */
  workerMetrics: { port: number | undefined; host: string };
}

export const OBSERVABILITY_SETTINGS: Record<string, { default: string; help: string }> = {
  SENTRY_DSN: {
    default: '(none)',
    help: 'Sentry DSN: warnings, errors, task failures and crashes are sent there (environment = profile, release = gwqueue@version)',
  },
  GWQUEUE_LOG_DIR: {
    default: '$GWQUEUE_VAR_DIR/log',
    help: 'folder of the log files, one per kind of process (gwqueue-worker.log, gwqueue-web.log, gwqueue-cli.log…)',
  },
  GWQUEUE_LOG_FILE: { default: 'true (false under test)', help: 'write JSON log lines to a file in GWQUEUE_LOG_DIR' },
  GWQUEUE_LOG_CONSOLE: {
    default: 'true in development and test',
    help: 'also write log lines to the terminal (stdout for worker/web/dev, stderr for other commands)',
  },
  GWQUEUE_LOG_MAX_SIZE: { default: '10M', help: 'rotate a log file at this size (bytes, or with a K, M or G suffix)' },
  GWQUEUE_LOG_MAX_FILES: { default: '10', help: 'rotated log files kept per process kind (name.log.1 is the newest)' },
  GWQUEUE_HOST_SAMPLE_INTERVAL_MS: {
    default: '10000',
    help: "how often workers and the web console sample the host's and their own CPU, memory, disk and network (0: off)",
  },
  GWQUEUE_HOST_SAMPLE_RETENTION: {
    default: '691200',
    help: 'seconds host samples are kept in Redis (8 days: a whole week on the Host page)',
  },
  GWQUEUE_WORKER_METRICS_PORT: {
    default: '(none)',
    help: "port on which `gwqueue worker` serves GET /metrics: this process's own metrics (the deployment's are the console's; same as --metrics-port); one per worker of a host, so set it in the worker's own env file: a port in use stops the worker before it takes a task (exit 71)",
  },
  GWQUEUE_WORKER_METRICS_HOST: { default: '127.0.0.1', help: 'address the worker metrics endpoint listens on' },
};

const SIZE = /^(\d+)\s*([BKMG]?)B?$/i;
const UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

export function parseSize(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const match = SIZE.exec(raw);
  if (!match) throw new ConfigError(name, `must be a size such as 10485760, 512K, 10M or 1G (got "${raw}")`);
  const bytes = Number(match[1]) * UNITS[match[2].toUpperCase()];
  if (bytes < 1024) throw new ConfigError(name, `must be at least 1K (got "${raw}")`);
  return bytes;
}

function parseDsn(env: Env): string | undefined {
  const raw = env.SENTRY_DSN?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('SENTRY_DSN', 'is not a URL (expected https://<key>@<host>/<project>)');
  }
  if (!['http:', 'https:'].includes(url.protocol) || !url.username || !/^\/?(.*\/)?\d+$/.test(url.pathname)) {
    throw new ConfigError('SENTRY_DSN', 'must look like https://<key>@<host>/<project id>');
  }
  return raw;
}

export function loadObservabilityConfig(env: Env, profile: string, varDir: string): ObservabilityConfig {
  const port = env.GWQUEUE_WORKER_METRICS_PORT?.trim()
    ? parseInteger(env, 'GWQUEUE_WORKER_METRICS_PORT', 0, { min: 0, max: 65_535 })
    : undefined;
  const sampleIntervalMs = parseInteger(env, 'GWQUEUE_HOST_SAMPLE_INTERVAL_MS', 10_000, { min: 0, max: 3_600_000 });
  if (sampleIntervalMs > 0 && sampleIntervalMs < 100)
    throw new ConfigError('GWQUEUE_HOST_SAMPLE_INTERVAL_MS', `must be 0 (off) or at least 100 (got ${sampleIntervalMs})`);
  return {
    sentryDsn: parseDsn(env),
    log: {
      dir: path.resolve(env.GWQUEUE_LOG_DIR?.trim() || path.join(varDir, 'log')),
      file: parseBoolean(env, 'GWQUEUE_LOG_FILE', profile !== 'test'),
      console: parseBoolean(env, 'GWQUEUE_LOG_CONSOLE', profile === 'development' || profile === 'test'),
      maxBytes: parseSize(env, 'GWQUEUE_LOG_MAX_SIZE', 10 * 1024 ** 2),
      maxFiles: parseInteger(env, 'GWQUEUE_LOG_MAX_FILES', 10, { min: 1, max: 1000 }),
    },
    host: {
      sampleIntervalMs,
      retentionSeconds: parseInteger(env, 'GWQUEUE_HOST_SAMPLE_RETENTION', 691_200, { min: 3600, max: 400 * 86_400 }),
    },
    workerMetrics: { port, host: env.GWQUEUE_WORKER_METRICS_HOST?.trim() || '127.0.0.1' },
  };
}
