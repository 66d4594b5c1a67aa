// gwqueue as deployed, for the bench and the soak: a private Redis, one worker (the units run one per queue group), the console as its unit runs it (one process), production profile.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PACKAGE_ROOT } from '../src/config/index.js';
import { CONSOLE_V8_FLAGS } from '../src/web/cluster.js';
import { freePort, startRedis } from '../test/helpers/redis-server.js';
import { stopChild, waitForOutput } from './processes.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'gwqueue.js');

/** The words of a unit's ExecStart in deploy/systemd. */
function unitExec(unit: string): string[] {
  const text = readFileSync(path.join(PACKAGE_ROOT, 'deploy', 'systemd', unit), 'utf8');
  return (/^ExecStart=(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/);
}

/** The node flags a unit of deploy/systemd starts its process with (between node and bin/gwqueue.js): the bench runs them as deployed. */
export function unitNodeArgs(unit: string): string[] {
  const exec = unitExec(unit);
  return exec.slice(
    1,
    exec.findIndex((word) => word.endsWith('/bin/gwqueue.js')),
  );
}

/** The console processes the web unit runs (`--processes N` in its ExecStart; one without). */
export function unitWebProcesses(): number {
  const exec = unitExec('gwqueue-web.service');
  const at = exec.findIndex((word) => word === '--processes' || word === '-P');
  return at < 0 ? 1 : Number(exec[at + 1]);
}

export interface Stack {
  /** http://127.0.0.1:<port> of the console. */
  base: string;
  /** API token of the user `bench` (Authorization: Bearer …). */
  token: string;
  /** The environment the processes run with (REDIS_URL, GWQUEUE_PREFIX, …). */
  env: NodeJS.ProcessEnv;
  web: ChildProcess;
  workers: ChildProcess[];
  redisPid: number;
  stop(): Promise<void>;
}

/**
 * `name` is the key prefix and the workers' name stem; `nodeArgs` go before the CLI (e.g. `--import` of the bench's
 * stand-in task); `appendOnly` gives Redis an AOF (appendfsync always), as production should have.
 */
export async function startStack(options: {
  name: string;
  appendOnly?: boolean;
  /** The API token's role (operator unless said): the soak reads the admins' audit page too. */
  tokenRole?: 'operator' | 'admin';
  nodeArgs?: string[];
  env?: Record<string, string>;
  /**
   * Console processes (default: as the web unit runs it, one); more run a supervising primary with the unit's
   * `--v8-pool-size` alone, its processes with the V8 flags the cluster gives them (web/cluster.ts).
   */
  webProcesses?: number;
  /**
   * Worker processes, each consuming every queue. Default 1: the units run one worker per queue group on a host
   * (gwqueue-worker@GROUP), so the form's queue has one; the others' workers would only be idle here.
   */
  workers?: number;
}): Promise<Stack> {
  const redis = await startRedis({ appendOnly: options.appendOnly });
  const redisPid = Number(
    /process_id:(\d+)/.exec(spawnSync('redis-cli', ['-p', String(redis.port), 'info', 'server'], { encoding: 'utf8' }).stdout)?.[1],
  );
  const varDir = mkdtempSync(path.join(os.tmpdir(), `gwqueue-${options.name}-`));
  const token = randomBytes(24).toString('hex');
  const port = await freePort();
  const env = {
    ...process.env,
    REDIS_URL: redis.url,
    GWQUEUE_PREFIX: options.name,
    GWQUEUE_ENV: 'production',
    GWQUEUE_VAR_DIR: varDir,
    GWQUEUE_SECRET_KEY: randomBytes(24).toString('hex'),
    GWQUEUE_API_TOKENS: `bench${options.tokenRole ? `:${options.tokenRole}` : ''}=${token}`,
    GWQUEUE_LOG_LEVEL: 'warn',
    ...options.env,
  };
  const webProcesses = options.webProcesses ?? unitWebProcesses();
  const start = (nodeArgs: string[], args: string[]) =>
    spawn(process.execPath, [...nodeArgs, ...(options.nodeArgs ?? []), BIN, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const workerArgs = unitNodeArgs('gwqueue-worker@.service');
  const workers = Array.from({ length: options.workers ?? 1 }, (_, i) =>
    start(workerArgs, ['worker', '-n', `${options.name}${i + 1}@local`]),
  );
  // The unit's flags are the console process's; a supervising primary keeps only the background-thread one.
  const consoleArgs = unitNodeArgs('gwqueue-web.service');
  const webArgs =
    webProcesses === 1
      ? consoleArgs
      : consoleArgs.filter((flag) => !CONSOLE_V8_FLAGS.includes(flag as never) || flag.startsWith('--v8-pool-size'));
  // The unit's socket (gwqueue-web.socket) is bound here by the console itself: the same process on the same port.
  const web = start(webArgs, ['web', '--port', String(port), '--processes', String(webProcesses)]);
  const stop = async () => {
    await Promise.all([...workers, web].map(stopChild));
    await redis.stop();
    rmSync(varDir, { recursive: true, force: true });
  };
  try {
    await Promise.all([
      ...workers.map((w, i) => waitForOutput(w, /consuming/, `worker ${i + 1}`)),
      waitForOutput(web, /console at/, 'console'),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { base: `http://127.0.0.1:${port}`, token, env, web, workers, redisPid, stop };
}
