// Observability settings: Sentry, log files and their rotation, host sampling for the Host page, worker metrics port.
import path from 'node:path';
import { ConfigError, parseInteger } from './parse.js';
import { boolean, custom, EVERY_PROCESS, integer, type Reader, type Setting, type Env } from './setting.js';

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

const SIZE = /^(\d+)\s*([BKMG]?)B?$/i;
const UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

function parseSize(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const match = SIZE.exec(raw);
  if (!match) throw new ConfigError(name, `must be a size such as 10485760, 512K, 10M or 1G (got "${raw}")`);
  const bytes = Number(match[1]) * UNITS[match[2].toUpperCase()];
  if (bytes < 1024) throw new ConfigError(name, `must be at least 1K (got "${raw}")`);
  return bytes;
}

function parseDsn(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a URL (expected https://<key>@<host>/<project>)');
  }
  if (!['http:', 'https:'].includes(url.protocol) || !url.username || !/^\/?(.*\/)?\d+$/.test(url.pathname)) {
    throw new ConfigError(name, 'must look like https://<key>@<host>/<project id>');
  }
  return raw;
}

const ALL = EVERY_PROCESS;
const SAMPLERS: readonly Reader[] = ['worker', 'console'];

/** The settings of this file, one declaration each (setting.ts). */
const S = {
  sentryDsn: custom('SENTRY_DSN', {
    kind: 'url',
    shown: '(none)',
    help: 'Sentry DSN: warnings, errors, task failures and crashes are sent there (environment = profile, release = gwqueue@version)',
    readBy: ALL,
    read: parseDsn,
  }),
  logDir: custom('GWQUEUE_LOG_DIR', {
    kind: 'path',
    shown: '$GWQUEUE_VAR_DIR/log',
    help: 'folder of the log files, one per kind of process (gwqueue-worker.log, gwqueue-web.log, gwqueue-cli.log…)',
    readBy: ALL,
    read: (env, name) => env[name]?.trim() || undefined,
  }),
  logFile: boolean('GWQUEUE_LOG_FILE', {
    default: (profile) => profile !== 'test',
    shown: 'true (false under test)',
    help: 'write JSON log lines to a file in GWQUEUE_LOG_DIR',
    readBy: ALL,
  }),
  logConsole: boolean('GWQUEUE_LOG_CONSOLE', {
    default: (profile) => profile === 'development' || profile === 'test',
    shown: 'true in development and test',
    help: 'also write log lines to the terminal (stdout for worker/web/dev, stderr for other commands)',
    readBy: ALL,
  }),
  logMaxSize: custom('GWQUEUE_LOG_MAX_SIZE', {
    kind: 'size',
    shown: '10M',
    literal: true,
    help: 'rotate a log file at this size (bytes, or with a K, M or G suffix)',
    readBy: ALL,
    read: (env, name) => parseSize(env, name, 10 * 1024 ** 2),
  }),
  logMaxFiles: integer('GWQUEUE_LOG_MAX_FILES', {
    default: 10,
    min: 1,
    max: 1000,
    help: 'rotated log files kept per process kind (name.log.1 is the newest)',
    readBy: ALL,
  }),
  sampleIntervalMs: custom('GWQUEUE_HOST_SAMPLE_INTERVAL_MS', {
    kind: 'integer',
    shown: '10000',
    literal: true,
    help: "how often workers and the web console sample the host's and their own CPU, memory, disk and network (0: off)",
    readBy: SAMPLERS,
    read: (env, name) => {
      const ms = parseInteger(env, name, 10_000, { min: 0, max: 3_600_000 });
      if (ms > 0 && ms < 100) throw new ConfigError(name, `must be 0 (off) or at least 100 (got ${ms})`);
      return ms;
    },
  }),
  sampleRetention: integer('GWQUEUE_HOST_SAMPLE_RETENTION', {
    default: 691_200,
    min: 3600,
    max: 400 * 86_400,
    help: 'seconds host samples are kept in Redis (8 days: a whole week on the Host page)',
    readBy: SAMPLERS,
  }),
  workerMetricsPort: custom('GWQUEUE_WORKER_METRICS_PORT', {
    kind: 'integer',
    shown: '(none)',
    help: "port on which `gwqueue worker` serves GET /metrics: this process's own metrics (the deployment's are the console's; same as --metrics-port); one per worker of a host, so set it in the worker's own env file: a port in use stops the worker before it takes a task (exit 71)",
    readBy: ['worker'],
    read: (env, name) => (env[name]?.trim() ? parseInteger(env, name, 0, { min: 0, max: 65_535 }) : undefined),
  }),
  workerMetricsHost: custom('GWQUEUE_WORKER_METRICS_HOST', {
    kind: 'text',
    shown: '127.0.0.1',
    literal: true,
    help: 'address the worker metrics endpoint listens on',
    readBy: ['worker'],
    // Blank is unset here: an empty host would serve the metrics on every interface.
    read: (env, name) => env[name]?.trim() || '127.0.0.1',
  }),
};

export const OBSERVABILITY_SETTINGS: readonly Setting[] = Object.values(S);

export function loadObservabilityConfig(env: Env, profile: string, varDir: string): ObservabilityConfig {
  const read = <T>(setting: Setting<T>): T => setting.read(env, profile);
  return {
    sentryDsn: read(S.sentryDsn),
    log: {
      dir: path.resolve(read(S.logDir) ?? path.join(varDir, 'log')),
      file: read(S.logFile),
      console: read(S.logConsole),
      maxBytes: read(S.logMaxSize),
      maxFiles: read(S.logMaxFiles),
    },
    host: { sampleIntervalMs: read(S.sampleIntervalMs), retentionSeconds: read(S.sampleRetention) },
    workerMetrics: { port: read(S.workerMetricsPort), host: read(S.workerMetricsHost) },
  };
}
