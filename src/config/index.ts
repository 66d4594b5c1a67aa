// The only reader of process.env: turns the environment (and an optional JSON config file) into a typed Config.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseRedisUrl, parseList } from './parse.js';
import { choice, custom, EVERY_PROCESS, integer, text, type Reader, type Setting, type Env } from './setting.js';
import { loadWebAuthConfig, parsePublicUrl, URL_PREFIX, WEB_SETTINGS, type WebAuthConfig } from './web.js';
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
    /**
     * The listening socket systemd passed to this very process (socket activation: LISTEN_FDS, LISTEN_PID; always fd
     * 3), or undefined. Another process's (LISTEN_PID not ours, e.g. a forked child) is not ours to use.
     */
    activatedSocket: number | undefined;
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

const ALL = EVERY_PROCESS;
const RUNNERS: readonly Reader[] = ['worker', 'console'];
const WORKER: readonly Reader[] = ['worker'];

/** The settings of this file, one declaration each (setting.ts): loadConfig reads them, docs/configuration.md shows them. */
const S = {
  profile: choice('GWQUEUE_ENV', {
    choices: PROFILES,
    default: 'development',
    help: 'profile: development, test, playground or production',
    readBy: ALL,
  }),
  logLevel: choice('GWQUEUE_LOG_LEVEL', {
    choices: LOG_LEVELS,
    default: (profile) => (profile === 'test' ? 'warn' : 'info'),
    shown: 'info (warn under test)',
    help: 'trace, debug, info, warn, error, fatal or silent',
    readBy: ALL,
  }),
  file: custom('GWQUEUE_CONFIG', {
    kind: 'file',
    shown: '(none)',
    help: 'optional JSON file of settings (same names); the environment wins over it',
    readBy: ALL,
    read: (env, name) => env[name],
  }),
  redisUrl: custom('REDIS_URL', {
    kind: 'url',
    shown: '(embedded)',
    help: 'redis://, rediss:// or unix:///path; unset: `gwqueue dev` runs its own redis-server under var/redis',
    readBy: ALL,
    read: parseRedisUrl,
  }),
  sentinels: custom('REDIS_SENTINELS', {
    kind: 'list',
    shown: '(none)',
    help: 'host:port,host:port of Redis Sentinels; REDIS_URL then only carries password/db',
    readBy: ALL,
    read: (env, name) =>
      parseList(env, name).map((entry) => {
        const match = /^([^:\s]+):(\d{1,5})$/.exec(entry);
        if (!match) throw new ConfigError(name, `"${entry}" is not host:port`);
        return { host: match[1], port: Number(match[2]) };
      }),
  }),
  sentinelName: text('REDIS_SENTINEL_NAME', { default: 'mymaster', help: 'name of the master the Sentinels watch', readBy: ALL }),
  connectTimeoutMs: integer('REDIS_CONNECT_TIMEOUT_MS', {
    default: 3000,
    min: 50,
    max: 600_000,
    help: 'how long the web console and CLI wait for Redis before giving up; a worker waits on, and logs after this long that Redis does not answer',
    readBy: ALL,
  }),
  commandTimeoutMs: integer('REDIS_COMMAND_TIMEOUT_MS', {
    default: 2000,
    min: 50,
    max: 600_000,
    help: 'how long the web console and CLI wait for the answer to one Redis command (a hung Redis): then 503 or exit 69',
    readBy: ALL,
  }),
  replicaWaitMs: integer('REDIS_REPLICA_WAIT_MS', {
    default: 1000,
    min: 0,
    max: 600_000,
    help: 'when the master has replicas: how long a submission waits for one to confirm it (WAIT) before answering 202; unconfirmed: 503 "not known", resubmitting is safe; 0: no wait',
    readBy: ALL,
  }),
  prefix: custom('GWQUEUE_PREFIX', {
    kind: 'text',
    shown: 'gwqueue',
    literal: true,
    help: 'key prefix in Redis (keys are written as {prefix}:… so they work on Redis Cluster)',
    readBy: ALL,
    read: (env, name) => {
      const prefix = env[name] ?? 'gwqueue';
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) throw new ConfigError(name, 'must be 1-64 letters, digits, "_", "." or "-"');
      return prefix;
    },
  }),
  varDir: custom('GWQUEUE_VAR_DIR', {
    kind: 'path',
    shown: '<package>/var',
    help: 'where the embedded Redis, logs and history live',
    readBy: ALL,
    read: (env, name) => path.resolve(env[name] ?? path.join(PACKAGE_ROOT, 'var')),
  }),
  resultTtl: integer('GWQUEUE_RESULT_TTL', {
    default: 604_800,
    min: 1,
    help: 'seconds a finished task (result, error, traceback) is kept',
    readBy: ALL,
  }),
  resultMaxCount: integer('GWQUEUE_RESULT_MAX_COUNT', {
    default: 100_000,
    min: 1,
    help: 'finished tasks kept per queue and state',
    readBy: ALL,
  }),
  concurrency: integer('GWQUEUE_CONCURRENCY', {
    default: 4,
    min: 1,
    max: 1000,
    help: 'tasks a worker runs at once on the `celery` queue (and on queues of no table row)',
    readBy: WORKER,
  }),
  queueConcurrency: custom('GWQUEUE_QUEUE_CONCURRENCY', {
    kind: 'table',
    shown: "(GWCelery's)",
    help: 'per-queue tasks at once, e.g. `superevent=1,em-bright=2`; unset queues keep their default (docs/tasks.md#queues); `-c` overrides all',
    readBy: WORKER,
    read: parseQueueConcurrency,
  }),
  heartbeatMs: integer('GWQUEUE_HEARTBEAT_MS', {
    default: 2000,
    min: 100,
    max: 60_000,
    help: 'worker heartbeat interval; a worker is offline after 3 missed beats',
    readBy: RUNNERS,
  }),
  lockDurationMs: integer('GWQUEUE_LOCK_DURATION_MS', {
    default: 30_000,
    min: 500,
    help: "lock on an active task; a killed worker's task is picked up again after it",
    readBy: RUNNERS,
  }),
  maxStalledCount: integer('GWQUEUE_MAX_STALLED', {
    default: 2,
    min: 0,
    max: 100,
    help: 'how many times a task may be picked up again after its worker died',
    readBy: RUNNERS,
  }),
  shutdownTimeoutMs: integer('GWQUEUE_SHUTDOWN_TIMEOUT_MS', {
    default: 30_000,
    min: 0,
    help: 'on SIGTERM a worker waits this long for active tasks, the console (web, flower, dev) for requests in flight; it exits within it + 1 s',
    readBy: RUNNERS,
  }),
  retryAttempts: integer('GWQUEUE_RETRY_ATTEMPTS', {
    default: 5,
    min: 1,
    max: 100,
    help: 'attempts for a task that hits transient errors (network, HTTP 408/429/502/503/504)',
    readBy: ALL,
  }),
  retryBackoffMs: integer('GWQUEUE_RETRY_BACKOFF_MS', {
    default: 1000,
    min: 0,
    help: 'first retry delay; doubles each attempt',
    readBy: ALL,
  }),
  retryMaxBackoffMs: integer('GWQUEUE_RETRY_MAX_BACKOFF_MS', {
    default: 5000,
    min: 0,
    help: 'longest delay between two attempts of a task',
    readBy: WORKER,
  }),
  retryRedisAttempts: integer('GWQUEUE_RETRY_REDIS_ATTEMPTS', {
    default: 20,
    min: 1,
    max: 1000,
    help: 'attempts for a task that hits Redis trouble (connection lost, timeout, LOADING, READONLY), whatever its own retry policy: 20 attempts at most 5 s apart ride out a Redis restart of more than a minute',
    readBy: ALL,
  }),
  webHost: text('GWQUEUE_WEB_HOST', { default: '127.0.0.1', help: 'address the web console listens on', readBy: ALL }),
  port: integer('PORT', { default: 5000, min: 0, max: 65_535, help: 'web console port', readBy: ALL }),
  webProcesses: integer('GWQUEUE_WEB_PROCESSES', {
    default: 1,
    min: 1,
    max: 64,
    help: 'console processes sharing the port (`gwqueue web --processes`); sessions and tokens are shared through Redis',
    readBy: ['console'],
  }),
  // systemd's socket activation (sd_listen_fds(3)): set by systemd for the process it starts, never by hand.
  listenPid: custom('LISTEN_PID', {
    kind: 'integer',
    shown: '(set by systemd)',
    help: 'set by systemd with LISTEN_FDS: the process the passed sockets are for (another process, e.g. a forked one, ignores them)',
    readBy: ['console'],
    read: (env, name) => (env[name] === undefined ? undefined : Number(env[name])),
  }),
  listenFds: custom('LISTEN_FDS', {
    kind: 'integer',
    shown: '(set by systemd)',
    help: 'set by systemd when it passes the console its socket (`deploy/systemd/gwqueue-web.socket`): `gwqueue web` serves that socket (fd 3) instead of GWQUEUE_WEB_HOST and PORT; one socket, one console process',
    readBy: ['console'],
    read: (env, name) => env[name],
  }),
  flowerPort: integer('GWQUEUE_FLOWER_PORT', {
    default: 5555,
    min: 0,
    max: 65_535,
    help: 'port of the stand-alone dashboard',
    readBy: ['console'],
  }),
  gracedbPort: integer('GWQUEUE_GRACEDB_PORT', {
    default: 5556,
    min: 0,
    max: 65_535,
    help: 'port of `gwqueue gracedb`, the embedded GraceDB API alone',
    readBy: ['console'],
  }),
  publicUrl: custom('GWQUEUE_PUBLIC_URL', {
    kind: 'url',
    shown: '(from each request)',
    help: "the console's address as clients reach it, e.g. https://emfollow.example.org/gwcelery (scheme, host, URL prefix): the root of the links in GraceDB records; unset, each request's own scheme and host",
    readBy: ALL,
    read: parsePublicUrl,
  }),
  secretKey: custom('GWQUEUE_SECRET_KEY', {
    kind: 'secret',
    shown: '(random in development; required in production)',
    help: 'secret for sessions and CSRF tokens',
    readBy: ['console'],
    read: (env, name, profile) => {
      const secretKey = env[name] ?? '';
      if (profile === 'production' && secretKey.length < 16) {
        throw new ConfigError(name, 'must be set to at least 16 characters in production');
      }
      return secretKey;
    },
  }),
};

/** The settings of index.ts, in the order the docs list them. */
export const CORE_SETTINGS: readonly Setting[] = Object.values(S);

/** Every setting by name: docs/configuration.md is generated from the same declarations (npm run docs). */
export const SETTINGS: Readonly<Record<string, Setting>> = byName([
  ...CORE_SETTINGS,
  ...WEB_SETTINGS,
  ...NAGIOS_SETTINGS,
  ...DOMAIN_SETTINGS,
  ...OBSERVABILITY_SETTINGS,
  ...SCHEDULE_SETTINGS,
]);

function byName(settings: readonly Setting[]): Record<string, Setting> {
  const out: Record<string, Setting> = {};
  for (const setting of settings) {
    if (setting.name in out) throw new Error(`${setting.name} is declared twice`);
    out[setting.name] = setting;
  }
  return out;
}

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

/**
 * The socket systemd passed to this very process (it passes them from fd 3 on), if any. Sockets passed to another
 * process (LISTEN_PID not ours: a process it forked inherits the variables) are not ours to use.
 */
function activatedSocket(fds: string | undefined, pid: number | undefined): number | undefined {
  if (fds === undefined || pid !== process.pid) return undefined;
  if (fds !== '1')
    throw new ConfigError(
      'LISTEN_FDS',
      `the console listens on one socket; systemd passed "${fds}" (give its .socket unit one ListenStream=)`,
    );
  return 3;
}

/** Loads the configuration once per process from process.env. Throws ConfigError on a bad value. */
export function getConfig(): Config {
  cached ??= loadConfig(process.env);
  return cached;
}

/** Builds a Config from an explicit environment (tests pass their own). */
export function loadConfig(processEnv: Env): Config {
  const file = S.file.read(processEnv, '');
  const fileEnv = file ? readConfigFile(file) : {};
  const env: Env = { ...fileEnv, ...processEnv };
  const profile = S.profile.read(env, '');
  const read = <T>(setting: Setting<T>): T => setting.read(env, profile);
  const secretKey = read(S.secretKey);
  const prefix = read(S.prefix);
  const varDir = read(S.varDir);
  return {
    profile,
    logLevel: read(S.logLevel),
    redis: {
      url: read(S.redisUrl),
      sentinels: read(S.sentinels),
      sentinelName: read(S.sentinelName),
      connectTimeoutMs: read(S.connectTimeoutMs),
      commandTimeoutMs: read(S.commandTimeoutMs),
      replicaWaitMs: read(S.replicaWaitMs),
    },
    prefix,
    varDir,
    results: { ttlSeconds: read(S.resultTtl), maxCount: read(S.resultMaxCount) },
    worker: {
      concurrency: read(S.concurrency),
      queueConcurrency: read(S.queueConcurrency),
      heartbeatMs: read(S.heartbeatMs),
      lockDurationMs: read(S.lockDurationMs),
      maxStalledCount: read(S.maxStalledCount),
      shutdownTimeoutMs: read(S.shutdownTimeoutMs),
    },
    web: {
      host: read(S.webHost),
      port: read(S.port),
      processes: read(S.webProcesses),
      flowerPort: read(S.flowerPort),
      gracedbPort: read(S.gracedbPort),
      secretKey,
      urlPrefix: read(URL_PREFIX),
      publicUrl: read(S.publicUrl),
      activatedSocket: activatedSocket(read(S.listenFds), read(S.listenPid)),
    },
    auth: loadWebAuthConfig(env, profile, secretKey),
    nagios: loadNagiosConfig(env, profile),
    domain: loadDomainConfig(env),
    schedules: loadSchedulesConfig(env, profile),
    observability: loadObservabilityConfig(env, profile, varDir),
    retry: {
      attempts: read(S.retryAttempts),
      backoffMs: read(S.retryBackoffMs),
      maxBackoffMs: read(S.retryMaxBackoffMs),
      redisAttempts: read(S.retryRedisAttempts),
    },
  };
}

/** `queue=n,queue=n`: which queues exist is the registry's to say (a worker refuses an unknown one), not config's. */
function parseQueueConcurrency(env: Env, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of parseList(env, name)) {
    const match = /^([A-Za-z0-9_.-]{1,64})\s*=\s*(\d{1,4})$/.exec(entry);
    if (!match) throw new ConfigError(name, `"${entry}" is not queue=number (e.g. superevent=1)`);
    const n = Number(match[2]);
    if (n < 1 || n > 1000) throw new ConfigError(name, `${match[1]}: must be from 1 to 1000 (got ${n})`);
    if (match[1] in out) throw new ConfigError(name, `${match[1]} is given twice`);
    out[match[1]] = n;
  }
  return out;
}

/**
 * The console's address as its users reach it: GWQUEUE_PUBLIC_URL, else the configured host and port (this machine's
 * name when it listens on every interface) and URL prefix. Links that leave a request behind (records a worker reads,
 * alerts' `urls.gracedb`) start with it.
 */
export function publicBaseUrl(config: Config): string {
  if (config.web.publicUrl) return config.web.publicUrl;
  const host = ['0.0.0.0', '::', ''].includes(config.web.host) ? os.hostname() : config.web.host;
  return `http://${hostPort(host, config.web.port)}${config.web.urlPrefix}`;
}

/** `host:port`, an IPv6 address in brackets (as URLs and messages write it). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Where the console serves the embedded GraceDB's API, as links in its records name it. */
export function gracedbApiUrl(config: Config): string {
  return `${publicBaseUrl(config)}/gracedb/api/`;
}
