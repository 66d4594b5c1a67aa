// ioredis connections in two roles: producers fail fast when Redis is down, workers wait and reconnect; both follow a Sentinel failover.
import { Redis, type RedisOptions } from 'ioredis';
import path from 'node:path';
import os from 'node:os';
import { createHash } from 'node:crypto';
import type { Config } from '../config/index.js';
import { describeFault, redisFault, RedisUnavailableError } from './errors.js';
import { watchFailovers } from './failover-watch.js';

export type ConnectionRole = 'producer' | 'worker';

/** Where the embedded redis-server listens: a unix socket under var/redis (or under /tmp when that path is too long). */
export function embeddedRedisSocket(varDir: string): string {
  const socket = path.join(varDir, 'redis', 'redis.sock');
  if (Buffer.byteLength(socket) < 100) return socket;
  const digest = createHash('sha1').update(varDir).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `gwqueue-${digest}.sock`);
}

/** The Redis URL in use: REDIS_URL, or the embedded server's socket. */
export function effectiveRedisUrl(config: Config): string {
  return config.redis.url ?? `unix://${embeddedRedisSocket(config.varDir)}`;
}

/** A printable description of where Redis is, without any password. */
export function describeRedis(config: Config): string {
  if (config.redis.sentinels.length) {
    return `sentinel ${config.redis.sentinelName}@${config.redis.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
  }
  const url = new URL(effectiveRedisUrl(config));
  if (url.protocol === 'unix:') return `unix://${url.pathname}`;
  return `${url.protocol}//${url.hostname}:${url.port || 6379}${url.pathname && url.pathname !== '/' ? url.pathname : ''}`;
}

function baseOptions(config: Config): RedisOptions {
  const url = new URL(effectiveRedisUrl(config));
  const options: RedisOptions = {
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    connectTimeout: config.redis.connectTimeoutMs,
    lazyConnect: false,
  };
  if (url.protocol === 'unix:') {
    options.path = url.pathname;
    const db = url.searchParams.get('db');
    if (db) options.db = Number(db);
  } else {
    options.host = url.hostname;
    options.port = Number(url.port || 6379);
    const db = url.pathname.replace(/^\//, '');
    if (db) options.db = Number(db);
    if (url.protocol === 'rediss:') options.tls = { servername: url.hostname };
  }
  if (config.redis.sentinels.length) {
    delete options.host;
    delete options.port;
    delete options.path;
    options.sentinels = config.redis.sentinels;
    options.name = config.redis.sentinelName;
    // Every (re)connect asks the Sentinels for the master. A master that dies closes the connection and the next one
    // finds the new master; one that hangs, or is demoted while still up, keeps it open: the Sentinels' +switch-master
    // message (failover-watch.ts) and a READONLY answer make the connection leave it.
    options.sentinelCommandTimeout = config.redis.connectTimeoutMs;
    options.sentinelRetryStrategy = (times) => Math.min(100 * times, 1000);
  }
  return options;
}

/** A demoted master answers writes with READONLY: reconnect, which asks the Sentinels for the new master. */
const FOLLOW_THE_MASTER = /^READONLY\b/;

/** A new connection for the given role. Producers never queue commands while disconnected. */
export function createRedisConnection(config: Config, role: ConnectionRole): Redis {
  const options = baseOptions(config);
  if (role === 'producer') {
    options.enableOfflineQueue = false;
    options.maxRetriesPerRequest = 1;
    // A hung Redis (stopped, swapping, a network black hole) keeps the socket open: without a bound, a request or a
    // command would wait for it forever. With one, the web answers 503 and the CLI exits 69 in time.
    options.commandTimeout = config.redis.commandTimeoutMs;
    // Keep reconnecting in the background (the web console recovers by itself), but slowly.
    options.retryStrategy = (times) => Math.min(100 * times, 2000);
    // Reconnect only: the refused write did nothing, and its caller answers (503, nothing submitted) at once.
    if (options.sentinels) options.reconnectOnError = (error) => FOLLOW_THE_MASTER.test(error.message);
  } else {
    options.maxRetriesPerRequest = null;
    options.enableReadyCheck = true;
    options.retryStrategy = (times) => Math.min(50 * times, 2000);
    // Reconnect and send the refused command again (READONLY means it was not done): BullMQ's scripts carry on.
    if (options.sentinels) options.reconnectOnError = (error) => (FOLLOW_THE_MASTER.test(error.message) ? 2 : false);
  }
  const redis = new Redis(options);
  // Errors are reported through commands and readiness; an unhandled 'error' event must not crash the process.
  redis.on('error', () => {});
  if (role === 'producer') withCallerFrames(redis);
  return watchFailovers(redis, config);
}

/**
 * A failed command's error gets the frames of the code that awaited it. ioredis makes the error in its reply parser, so
 * its stack has two frames of ioredis and none of ours: a web 500 or a CLI error reported to Sentry would not say which
 * request or function sent the command. Rethrown from an async function that awaited the command, a stack recorded
 * there lists, through V8's async stack traces, every async function waiting on it (the handler, the function that sent
 * the command). It costs a promise per command (about 0.3 µs); the frames are recorded only when a command fails.
 * On the request-serving (producer) connections; a command sent with a callback is left as it is.
 */
function withCallerFrames(redis: Redis): void {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) => {
    const sent = send(command, stream) as Promise<unknown>;
    const marks = command as unknown as { callback?: unknown; [RELAYED]?: true };
    // ioredis ignores what sendCommand returns for a pipeline's or MULTI's commands (sent with a stream; their own
    // promises carry the answers) and for a command it sends again after a reconnect (its caller awaits the first
    // relay): relayed, such a failure would be an unhandled rejection. A command with a callback is left as it is.
    if (stream !== undefined || marks.callback || marks[RELAYED]) return sent;
    marks[RELAYED] = true;
    return relayFailure(sent);
  }) as Redis['sendCommand'];
}

/** Marks a command whose failure is already relayed to its caller. */
const RELAYED = Symbol('relayed');

async function relayFailure<T>(sent: Promise<T>): Promise<T> {
  try {
    return await sent;
  } catch (error) {
    if (error instanceof Error && error.stack) {
      // Line 0 is "Error", line 1 this function: the rest are the awaiting async functions.
      const callers = (new Error().stack ?? '').split('\n').slice(2);
      if (callers.length) error.stack = `${error.stack}\n${callers.join('\n')}`;
    }
    throw error;
  }
}

/** Resolves when the connection is ready; rejects with RedisUnavailableError after the timeout. */
export function waitUntilReady(
  redis: Redis,
  config: Config,
  timeoutMs = config.redis.connectTimeoutMs,
  failOnFirstError = true,
): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError = '';
    const onError = (error: Error) => {
      lastError = error.message;
      // Refused or missing socket: nothing is listening, so waiting longer only delays the answer.
      if (failOnFirstError && /ECONNREFUSED|ENOENT|EACCES/.test(error.message)) {
        cleanup();
        reject(new RedisUnavailableError(`cannot connect to Redis at ${describeRedis(config)} (${lastError})`));
      }
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
    };
    const onReady = () => {
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new RedisUnavailableError(`cannot connect to Redis at ${describeRedis(config)}${lastError ? ` (${lastError})` : ''}`));
    }, timeoutMs);
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
}

/**
 * Translates Redis trouble (redisFault in errors.ts) into RedisUnavailableError, leaving other errors alone; `uncertain`
 * when the command may have been done (timed out, or the connection dropped while it was in flight).
 */
export function asRedisUnavailable(error: unknown, config: Config): unknown {
  if (error instanceof RedisUnavailableError) return error;
  const fault = redisFault(error, true);
  if (!fault) return error;
  const message = error instanceof Error ? error.message : String(error);
  const where = describeRedis(config);
  const detail = fault === 'no-answer' ? ` (${message.slice(0, 100)})` : '';
  return new RedisUnavailableError(`${describeFault(fault, where)}${detail}`, fault === 'no-answer', undefined, fault);
}
