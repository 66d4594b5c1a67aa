// The only reader of process.env: turns the environment (and an optional JSON config file) into a typed Config.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseBoolean, parseInteger, parseChoice, parseRedisUrl, parseList } from './parse.js';
import { loadWebAuthConfig, parsePublicUrl, parseUrlPrefix, WEB_SETTINGS, type WebAuthConfig } from './web.js';
import { loadNagiosConfig, NAGIOS_SETTINGS, type NagiosConfig } from './nagios.js';
import { DOMAIN_SETTINGS, loadDomainConfig, type DomainConfig } from './domain.js';
import { loadObservabilityConfig, OBSERVABILITY_SETTINGS, type ObservabilityConfig } from './observability.js';
import { loadSchedulesConfig, SCHEDULE_SETTINGS, type SchedulesConfig } from './schedules.js';

export { ConfigError } from './parse.js';

export const PROFILES = ['development', 'test', 'playground', 'production'] as const;
export type Profile = (typeof PROFILES)[number];

/** Root of the installed package (the folder holding package.json), independent of the working directory. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RedisSettings {
  /** The REDIS_URL as given, or undefined when the embedded Redis is used. */
  url: string | undefined;
  /** Sentinel hosts (REDIS_SENTINELS=host:port,host:port); when set, `sentinelName` names the master. */
  sentinels: { host: string; port: number }[];
  sentinelName: string;
  /** How long a producer (web, CLI) waits for Redis before giving up. */
  connectTimeoutMs: number;
  /** How long a producer (web, CLI) waits for the answer to one command before giving up. */
  commandTimeoutMs: number;
  /**
   * How long a submission waits for one replica to confirm its writes when the master has replicas (0: it does not
   * wait); a master that dies before its replica got them would otherwise take an accepted submission with it.
   */
  replicaWaitMs: number;
}

export interface Config {
  profile: Profile;
  logLevel: string;
  redis: RedisSettings;
  /** Logical key prefix; BullMQ keys use `{prefix}` so that every key hashes to one Redis Cluster slot. */
  prefix: string;
  varDir: string;
  results: { ttlSeconds: number; maxCount: number };
  worker: {
    concurrency: number;
    /** GWQUEUE_QUEUE_CONCURRENCY: queue → tasks at once, over that queue's default (queue/registry.ts QUEUES). */
    queueConcurrency: Record<string, number>;
    heartbeatMs: number;
    lockDurationMs: number;
    shutdownTimeoutMs: number;
    maxStalledCount: number;
  };
  /** urlPrefix: GWQUEUE_URL_PREFIX, '' or a path such as /gwcelery that the console is served under. */
  web: {
    host: string;
    port: number;
    processes: number;
    flowerPort: number;
    /** Port of `gwqueue gracedb` (the embedded GraceDB's API alone). */
    gracedbPort: number;
    secretKey: string;
    urlPrefix: string;
    /** GWQUEUE_PUBLIC_URL: the console's address as clients reach it ('' = from each request), for links that resolve. */
    publicUrl: string;
  };
  retry: { attempts: number; backoffMs: number; redisAttempts: number; maxBackoffMs: number };
  auth: WebAuthConfig;
  nagios: NagiosConfig;
  /** GW domain: GraceDB, superevent grouping, alert thresholds, mock events (see domain.ts). */
  domain: DomainConfig;
  /** Logs, Sentry, host sampling and worker metrics (see observability.ts). */
  observability: ObservabilityConfig;
  /** Periodic tasks run by the workers: on/off and interval of each (see schedules.ts). */
  schedules: SchedulesConfig;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

type Env = Record<string, string | undefined>;

/** Every setting, its default and what it means: docs/configuration.md is generated from the same words (npm run docs). */
export const SETTINGS: Record<string, { default: string; help: string }> = {
  GWQUEUE_ENV: { default: 'development', help: 'profile: development, test, playground or production' },
  GWQUEUE_LOG_LEVEL: { default: 'info (warn under test)', help: 'trace, debug, info, warn, error, fatal or silent' },
  GWQUEUE_CONFIG: { default: '(none)', help: 'optional JSON file of settings (same names); the environment wins over it' },
  REDIS_URL: {
    default: '(embedded)',
    help: 'redis://, rediss:// or unix:///path; unset: `gwqueue dev` runs its own redis-server under var/redis',
  },
  REDIS_SENTINELS: { default: '(none)', help: 'host:port,host:port of Redis Sentinels; REDIS_URL then only carries password/db' },
  REDIS_SENTINEL_NAME: { default: 'mymaster', help: 'name of the master the Sentinels watch' },
  REDIS_CONNECT_TIMEOUT_MS: {
    default: '3000',
    help: 'how long the web console and CLI wait for Redis before giving up; a worker waits on, and logs after this long that Redis does not answer',
  },
  REDIS_COMMAND_TIMEOUT_MS: {
    default: '2000',
    help: 'how long the web console and CLI wait for the answer to one Redis command (a hung Redis): then 503 or exit 69',
  },
  REDIS_REPLICA_WAIT_MS: {
    default: '1000',
    help: 'when the master has replicas: how long a submission waits for one to confirm it (WAIT) before answering 202; unconfirmed: 503 "not known", resubmitting is safe; 0: no wait',
  },
  GWQUEUE_PREFIX: { default: 'gwqueue', help: 'key prefix in Redis (keys are written as {prefix}:… so they work on Redis Cluster)' },
  GWQUEUE_VAR_DIR: { default: '<package>/var', help: 'where the embedded Redis, logs and history live' },
  GWQUEUE_RESULT_TTL: { default: '604800', help: 'seconds a finished task (result, error, traceback) is kept' },
  GWQUEUE_RESULT_MAX_COUNT: { default: '100000', help: 'finished tasks kept per queue and state' },
  GWQUEUE_CONCURRENCY: { default: '4', help: 'tasks a worker runs at once on the `celery` queue (and on queues of no table row)' },
  GWQUEUE_QUEUE_CONCURRENCY: {
    default: "(GWCelery's)",
    help: 'per-queue tasks at once, e.g. `superevent=1,em-bright=2`; unset queues keep their default (docs/tasks.md#queues); `-c` overrides all',
  },
  GWQUEUE_HEARTBEAT_MS: { default: '2000', help: 'worker heartbeat interval; a worker is offline after 3 missed beats' },
  GWQUEUE_LOCK_DURATION_MS: { default: '30000', help: "lock on an active task; a killed worker's task is picked up again after it" },
  GWQUEUE_MAX_STALLED: { default: '2', help: 'how many times a task may be picked up again after its worker died' },
  GWQUEUE_SHUTDOWN_TIMEOUT_MS: {
    default: '30000',
    help: 'on SIGTERM a worker waits this long for active tasks, the console (web, flower, dev) for requests in flight; it exits within it + 1 s',
  },
  GWQUEUE_RETRY_ATTEMPTS: { default: '5', help: 'attempts for a task that hits transient errors (network, HTTP 408/429/502/503/504)' },
  GWQUEUE_RETRY_BACKOFF_MS: { default: '1000', help: 'first retry delay; doubles each attempt' },
  GWQUEUE_RETRY_MAX_BACKOFF_MS: { default: '5000', help: 'longest delay between two attempts of a task' },
  GWQUEUE_RETRY_REDIS_ATTEMPTS: {
    default: '20',
    help: 'attempts for a task that hits Redis trouble (connection lost, timeout, LOADING, READONLY), whatever its own retry policy: 20 attempts at most 5 s apart ride out a Redis restart of more than a minute',
  },
  GWQUEUE_WEB_HOST: { default: '127.0.0.1', help: 'address the web console listens on' },
  PORT: { default: '5000', help: 'web console port' },
  GWQUEUE_WEB_PROCESSES: {
    default: '1',
    help: 'console processes sharing the port (`gwqueue web --processes`); sessions and tokens are shared through Redis',
  },
  GWQUEUE_FLOWER_PORT: { default: '5555', help: 'port of the stand-alone dashboard' },
  GWQUEUE_GRACEDB_PORT: { default: '5556', help: 'port of `gwqueue gracedb`, the embedded GraceDB API alone' },
  GWQUEUE_PUBLIC_URL: {
    default: '(from each request)',
    help: "the console's address as clients reach it, e.g. https://emfollow.example.org/gwcelery (scheme, host, URL prefix): the root of the links in GraceDB records; unset, each request's own scheme and host",
  },
  GWQUEUE_SECRET_KEY: { default: '(random in development; required in production)', help: 'secret for sessions and CSRF tokens' },
  ...WEB_SETTINGS,
  ...NAGIOS_SETTINGS,
  ...DOMAIN_SETTINGS,
  ...OBSERVABILITY_SETTINGS,
  ...SCHEDULE_SETTINGS,
};

function readConfigFile(file: string): Env {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('GWQUEUE_CONFIG', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError('GWQUEUE_CONFIG', `${file} is not valid JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('GWQUEUE_CONFIG', `${file} must hold a JSON object of settings`);
  }
  const out: Env = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in SETTINGS)) throw new ConfigError(key, `unknown setting in ${file}`);
    out[key] = String(value);
  }
  return out;
}

let cached: Config | undefined;

/** Loads the configuration once per process from process.env. Throws ConfigError on a bad value. */
export function getConfig(): Config {
  cached ??= loadConfig(process.env);
  return cached;
}

/** Builds a Config from an explicit environment (tests pass their own). */
export function loadConfig(processEnv: Env): Config {
  const fileEnv = processEnv.GWQUEUE_CONFIG ? readConfigFile(processEnv.GWQUEUE_CONFIG) : {};
  const env: Env = { ...fileEnv, ...processEnv };
  const profile = parseChoice(env, 'GWQUEUE_ENV', PROFILES, 'development');
  const secretKey = env.GWQUEUE_SECRET_KEY ?? '';
  if (profile === 'production' && secretKey.length < 16) {
    throw new ConfigError('GWQUEUE_SECRET_KEY', 'must be set to at least 16 characters in production');
  }
  const prefix = env.GWQUEUE_PREFIX ?? 'gwqueue';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
    throw new ConfigError('GWQUEUE_PREFIX', 'must be 1-64 letters, digits, "_", "." or "-"');
  }
  return {
    profile,
    logLevel: parseChoice(env, 'GWQUEUE_LOG_LEVEL', LOG_LEVELS, profile === 'test' ? 'warn' : 'info'),
    redis: {
      url: parseRedisUrl(env, 'REDIS_URL'),
      sentinels: parseList(env, 'REDIS_SENTINELS').map((entry) => {
        const match = /^([^:\s]+):(\d{1,5})$/.exec(entry);
        if (!match) throw new ConfigError('REDIS_SENTINELS', `"${entry}" is not host:port`);
        return { host: match[1], port: Number(match[2]) };
      }),
      sentinelName: env.REDIS_SENTINEL_NAME ?? 'mymaster',
      connectTimeoutMs: parseInteger(env, 'REDIS_CONNECT_TIMEOUT_MS', 3000, { min: 50, max: 600_000 }),
      commandTimeoutMs: parseInteger(env, 'REDIS_COMMAND_TIMEOUT_MS', 2000, { min: 50, max: 600_000 }),
      replicaWaitMs: parseInteger(env, 'REDIS_REPLICA_WAIT_MS', 1000, { min: 0, max: 600_000 }),
    },
    prefix,
    varDir: path.resolve(env.GWQUEUE_VAR_DIR ?? path.join(PACKAGE_ROOT, 'var')),
    results: {
      ttlSeconds: parseInteger(env, 'GWQUEUE_RESULT_TTL', 604_800, { min: 1 }),
      maxCount: parseInteger(env, 'GWQUEUE_RESULT_MAX_COUNT', 100_000, { min: 1 }),
    },
    worker: {
      concurrency: parseInteger(env, 'GWQUEUE_CONCURRENCY', 4, { min: 1, max: 1000 }),
      queueConcurrency: parseQueueConcurrency(env),
      heartbeatMs: parseInteger(env, 'GWQUEUE_HEARTBEAT_MS', 2000, { min: 100, max: 60_000 }),
      lockDurationMs: parseInteger(env, 'GWQUEUE_LOCK_DURATION_MS', 30_000, { min: 500 }),
      maxStalledCount: parseInteger(env, 'GWQUEUE_MAX_STALLED', 2, { min: 0, max: 100 }),
      shutdownTimeoutMs: parseInteger(env, 'GWQUEUE_SHUTDOWN_TIMEOUT_MS', 30_000, { min: 0 }),
    },
    web: {
      host: env.GWQUEUE_WEB_HOST ?? '127.0.0.1',
      port: parseInteger(env, 'PORT', 5000, { min: 0, max: 65_535 }),
      processes: parseInteger(env, 'GWQUEUE_WEB_PROCESSES', 1, { min: 1, max: 64 }),
      flowerPort: parseInteger(env, 'GWQUEUE_FLOWER_PORT', 5555, { min: 0, max: 65_535 }),
      gracedbPort: parseInteger(env, 'GWQUEUE_GRACEDB_PORT', 5556, { min: 0, max: 65_535 }),
      secretKey,
      urlPrefix: parseUrlPrefix(env),
      publicUrl: parsePublicUrl(env),
    },
    auth: loadWebAuthConfig(env, profile, secretKey),
    nagios: loadNagiosConfig(env, profile),
    domain: loadDomainConfig(env),
    schedules: loadSchedulesConfig(env, profile),
    observability: loadObservabilityConfig(env, profile, path.resolve(env.GWQUEUE_VAR_DIR ?? path.join(PACKAGE_ROOT, 'var'))),
    retry: {
      attempts: parseInteger(env, 'GWQUEUE_RETRY_ATTEMPTS', 5, { min: 1, max: 100 }),
      backoffMs: parseInteger(env, 'GWQUEUE_RETRY_BACKOFF_MS', 1000, { min: 0 }),
      maxBackoffMs: parseInteger(env, 'GWQUEUE_RETRY_MAX_BACKOFF_MS', 5000, { min: 0 }),
      redisAttempts: parseInteger(env, 'GWQUEUE_RETRY_REDIS_ATTEMPTS', 20, { min: 1, max: 1000 }),
    },
  };
}

/** `queue=n,queue=n`: which queues exist is the registry's to say (a worker refuses an unknown one), not config's. */
function parseQueueConcurrency(env: Env): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of parseList(env, 'GWQUEUE_QUEUE_CONCURRENCY')) {
    const match = /^([A-Za-z0-9_.-]{1,64})\s*=\s*(\d{1,4})$/.exec(entry);
    if (!match) throw new ConfigError('GWQUEUE_QUEUE_CONCURRENCY', `"${entry}" is not queue=number (e.g. superevent=1)`);
    const n = Number(match[2]);
    if (n < 1 || n > 1000) throw new ConfigError('GWQUEUE_QUEUE_CONCURRENCY', `${match[1]}: must be from 1 to 1000 (got ${n})`);
    if (match[1] in out) throw new ConfigError('GWQUEUE_QUEUE_CONCURRENCY', `${match[1]} is given twice`);
    out[match[1]] = n;
  }
  return out;
}

/** True when a boolean-ish environment flag is set (exported for the few on/off settings). */
/**
 * The console's address as its users reach it: GWQUEUE_PUBLIC_URL, else the configured host and port (this machine's
 * name when it listens on every interface) and URL prefix. Links that leave a request behind (records a worker reads,
 * alerts' `urls.gracedb`) start with it.
 */
export function publicBaseUrl(config: Config): string {
  if (config.web.publicUrl) return config.web.publicUrl;
  const host = ['0.0.0.0', '::', ''].includes(config.web.host) ? os.hostname() : config.web.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.web.port}${config.web.urlPrefix}`;
}

/** Where the console serves the embedded GraceDB's API, as links in its records name it. */
export function gracedbApiUrl(config: Config): string {
  return `${publicBaseUrl(config)}/gracedb/api/`;
}

export function flag(env: Env, name: string, fallback: boolean): boolean {
  return parseBoolean(env, name, fallback);
}
