// The embedded Redis of `gwqueue dev`: a redis-server child on a unix socket under var/redis, AOF every second.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { embeddedRedisSocket } from './connection.js';
import { StartStopped } from '../log/start-up.js';

export class EmbeddedRedisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedRedisError';
  }
}

export interface EmbeddedRedis {
  socket: string;
  /** False when an embedded Redis was already answering on the socket (another `gwqueue dev`): we leave it running. */
  owned: boolean;
  stop(): Promise<void>;
}

function answersPing(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(socket)) return resolve(false);
    const connection = net.connect(socket);
    const timer = setTimeout(() => {
      connection.destroy();
      resolve(false);
    }, 500);
    connection.once('connect', () => connection.write('PING\r\n'));
    connection.once('data', (data) => {
      clearTimeout(timer);
      connection.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    connection.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/** `signal`: a stop asked while it starts kills the redis-server just spawned (StartStopped), so none is left behind. */
export async function startEmbeddedRedis(config: Config, signal?: AbortSignal): Promise<EmbeddedRedis> {
  const socket = embeddedRedisSocket(config.varDir);
  if (await answersPing(socket)) return { socket, owned: false, stop: async () => {} };
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    throw new EmbeddedRedisError(
      'redis-server is not installed. Install it (Debian/Ubuntu: apt-get install -y redis-server) or set REDIS_URL to a running Redis, e.g. REDIS_URL=redis://127.0.0.1:6379/0',
    );
  }
  const dir = path.join(config.varDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'redis.log');
  const child = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--unixsocket',
      socket,
      '--unixsocketperm',
      '700',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always', // an answered write is on disk before the answer (writesAtRisk in durability.ts)
      '--logfile',
      logFile,
      '--daemonize',
      'no',
    ],
    // Its own process group: Ctrl-C reaches us, and we stop Redis only after the worker has finished.
    { stdio: 'ignore', detached: true },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await answersPing(socket))) {
    if (signal?.aborted) {
      child.kill('SIGKILL');
      throw new StartStopped(String(signal.reason));
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
      throw new EmbeddedRedisError(`the embedded redis-server did not start${tail ? `: ${tail}` : ''} (log: ${logFile})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    socket,
    owned: true,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
