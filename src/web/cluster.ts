// `gwqueue web --processes N`: N console processes on one port (node:cluster); the primary forks, supervises and stops them.
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { listenOn } from '../log/listen.js';
import { serveClusterProcessMetrics } from '../metrics/metrics-cluster.js';
import { logger } from '../log/logger.js';
import { stopStep } from '../log/stop-step.js';

export interface ConsoleClusterOptions {
  processes: number;
  /** Where the console processes listen (port 0: any free port, the same for all). */
  listen: { port: number; host: string };
  /** Resolves when the primary is asked to stop (SIGINT/SIGTERM). */
  stop: Promise<unknown>;
  /** One line for the operator (stderr). */
  say: (line: string) => void;
  /** A process that dies unexpectedly is replaced after this delay (ms). */
  restartDelayMs?: number;
  /**
   * GWQUEUE_SHUTDOWN_TIMEOUT_MS: each process stops within it + 0.3 s (web/server.ts); one that has not exited 0.7 s
   * after it is killed, so that the whole stop stays within the timeout + 1 s.
   */
  stopTimeoutMs: number;
  /** GWQUEUE_URL_PREFIX, in the address said once the processes listen. */
  urlPrefix?: string;
}

export const isConsoleWorker = (): boolean => cluster.isWorker;

/**
 * V8's heap sizing for the console processes (the worker unit in deploy/systemd runs with the same), measured in
 * docs/performance.md, throughput within the runs' noise:
 * - a young generation of 2 MB semispaces: under load V8 grows it to 16 MB and never gives it back;
 * - a heap that grows by half its live size before the next full collection, where V8 allows up to four times: under
 *   load the requests' short-lived objects are promoted and the old generation filled with garbage up to ~80 MB for
 *   ~25 MB live.
 * - one V8 background thread instead of four (`--v8-pool-size=1`): each thread that runs GC work gets a malloc arena
 *   of its own, and on a box where several console processes and workers share few cores the extra threads only
 *   compete (~4 MB less per console process, ~5 MB per worker; the flag is also on the primary, in the web unit).
 * Together a console process's RSS after the load fell from ~165 to ~100 MB. An operator's own value of any of these
 * flags (on the command line or in NODE_OPTIONS) wins.
 */
export const CONSOLE_V8_FLAGS = ['--max-semi-space-size=2', '--heap-growing-percent=50', '--v8-pool-size=1'] as const;

export function consoleExecArgv(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = (flag: string) => [...execArgv, nodeOptions].some((arg) => arg.includes(flag.split('=')[0]));
  return [...execArgv, ...CONSOLE_V8_FLAGS.filter((flag) => !given(flag))];
}

/**
 * In a console worker, once its server is closed: drop the channel to the primary, or it would keep the process alive.
 * Through the worker's own disconnect(): a bare process.disconnect() makes Node exit the process with code 0 at once,
 * hiding the exit code of a stop that could not finish.
 */
export function leaveCluster(): void {
  if (cluster.isWorker && process.connected) cluster.worker?.disconnect();
}

/** In a console worker: resolves when the primary goes away, so an orphan never keeps running. */
export function untilPrimaryGone(): Promise<void> {
  return new Promise((resolve) => process.once('disconnect', () => resolve()));
}

/**
 * The port first, as for one process (server.ts): one in use, not allowed or on no address of this machine fails the
 * start at once with one line (ListenError), Redis up or not, before any process is forked. A console process listens
 * only once it can serve (a process of the cluster is given connections as soon as it listens), after its wait for
 * Redis, so without this check a port in use would be found only after that wait.
 */
async function checkPort({ port, host }: { port: number; host: string }): Promise<void> {
  const probe = net.createServer();
  await listenOn(probe, port, host, 'the console');
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/**
 * Forks the console processes (each runs this same command line and sees `cluster.isWorker`), waits until every one
 * listens, which each does only once it serves (server.ts, `onceReady`): the address is said when every process serves
 * it. Replaces any that dies, and on `stop` sends SIGTERM to all and waits for them. Returns the exit code.
 * Processes share sessions, CSRF and submission tokens through Redis; without GWQUEUE_SECRET_KEY (development)
 * the primary makes one random key for all of them, or a session made by one would be refused by another.
 */
export async function runConsoleCluster(options: ConsoleClusterOptions): Promise<{ code: number; address?: string }> {
  const env: Record<string, string> = {};
  if (!process.env.GWQUEUE_SECRET_KEY) env.GWQUEUE_SECRET_KEY = randomBytes(32).toString('hex');
  const log = logger('web');
  let stopping = false;
  let started = false;
  const restartDelayMs = options.restartDelayMs ?? 1000;
  await checkPort(options.listen);

  // One /metrics for the console: whichever process serves a scrape gets all processes' own metrics, merged.
  serveClusterProcessMetrics();
  cluster.setupPrimary({ execArgv: consoleExecArgv() });
  const fork = (): Worker => cluster.fork(env);
  const listening = new Promise<{ address?: string; failed?: number }>((resolve) => {
    let ready = 0;
    cluster.on('listening', (_worker, address) => {
      if (started) return;
      ready += 1;
      if (ready === options.processes) resolve({ address: `${address.address ?? '127.0.0.1'}:${address.port}` });
    });
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      if (!started) return resolve({ failed: code ?? 70 });
      options.say(`console process ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another in ${restartDelayMs} ms`);
      setTimeout(() => {
        if (!stopping) fork();
      }, restartDelayMs).unref();
    });
  });
  for (let i = 0; i < options.processes; i++) fork();

  /** Resolves true when every process exited by itself, in time and with code 0. */
  const stopAll = async (): Promise<boolean> => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => Boolean(worker) && !worker!.isDead());
    const results = await Promise.all(
      workers.map(async (worker) => {
        let code: number | null = null;
        const exited = new Promise<void>((resolve) => {
          worker.once('exit', (exitCode) => {
            code = exitCode;
            resolve();
          });
        });
        worker.process.kill('SIGTERM');
        const pid = worker.process.pid;
        if (await stopStep(log, exited, options.stopTimeoutMs + 700, 'a console process', { pid })) return code === 0;
        worker.process.kill('SIGKILL');
        return false;
      }),
    );
    return results.every(Boolean);
  };

  const first = await Promise.race([listening, options.stop.then(() => ({ stopped: true as const }))]);
  if ('stopped' in first) return { code: (await stopAll()) ? 0 : 1 };
  if (first.failed !== undefined) {
    // Its own line (on the shared stderr) said why; the others, listening or not, must not keep the port.
    options.say(`a console process could not start (exit ${first.failed}); stopping the others`);
    await stopAll();
    return { code: first.failed || 70 };
  }
  started = true;
  options.say(`console at http://${first.address}${options.urlPrefix ?? ''} (${options.processes} processes)`);
  await options.stop;
  return { code: (await stopAll()) ? 0 : 1, address: first.address };
}
