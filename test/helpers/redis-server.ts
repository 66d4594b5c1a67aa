// Starts a real, throw-away redis-server on a free loopback port for one test file, and stops it afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { Redis } from 'ioredis';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eventually } from './eventually.js';

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** SIGKILL the server (data since the last fsync may be lost, as in a crash). */
  kill(): Promise<void>;
  /** Start it again on the same port and folder (AOF is replayed when enabled). */
  restart(): Promise<void>;
  /** SIGSTOP the server: its sockets stay open and nothing answers (a hung Redis). */
  freeze(): void;
  /** SIGCONT: it answers again, and runs what was sent to it meanwhile. */
  thaw(): void;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Whether a Redis answers PING on `port` now. */
function answersPing(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Where a test Redis keeps its files: memory (/dev/shm) when it has room. The tests kill the Redis process, not the
 * machine, and a file in memory outlives a killed process as one on disk does; but a disk made busy by the rest of the
 * suite would make every fsync of 'appendfsync always' slow, and the faults under test would drown in that slowness.
 */
function dataRoot(): string {
  try {
    const fs = statfsSync('/dev/shm');
    // The largest test AOF (the restart test's) peaks at about 5 MB; Docker's default /dev/shm is 64 MB.
    if (fs.bavail * fs.bsize > 32 * 1024 * 1024) return '/dev/shm';
  } catch {
    // no /dev/shm here
  }
  return os.tmpdir();
}

export async function startRedis(options: { appendOnly?: boolean } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(dataRoot(), 'gwqueue-test-redis-'));
  let child: ChildProcess | undefined;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendOnly ? 'yes' : 'no',
    // 'always', as docs/deployment.md asks of production: under 'everysec' a busy disk makes Redis hold an answered
    // write in memory for up to 2 s, and a SIGKILL then loses submissions that were already accepted (seen in CI).
    '--appendfsync',
    'always',
    '--loglevel',
    'warning',
  ];
  const launch = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    child.on('error', (error) => {
      throw new Error(`cannot start redis-server (apt-get install -y redis-server): ${error.message}`);
    });
    await eventually(() => answersPing(port), 10_000, `redis-server to answer on port ${port}`, 20);
  };
  const exited = (proc: ChildProcess | undefined) =>
    new Promise<void>((resolve) => {
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
    });
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async kill() {
      const proc = child;
      proc?.kill('SIGKILL');
      await exited(proc);
    },
    async restart() {
      await launch();
    },
    freeze() {
      child?.kill('SIGSTOP');
    },
    thaw() {
      child?.kill('SIGCONT');
    },
    async stop() {
      const proc = child;
      proc?.kill('SIGCONT'); // a stopped server would not see the SIGTERM
      proc?.kill('SIGTERM');
      await exited(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A throw-away server with one ioredis client on it, for tests that talk to Redis directly. */
export async function startRedisClient(): Promise<{ server: TestRedis; redis: Redis }> {
  const server = await startRedis();
  return { server, redis: new Redis(server.url) };
}

export async function stopRedisClient(server: TestRedis | undefined, redis: Redis | undefined): Promise<void> {
  redis?.disconnect();
  await server?.stop();
}
