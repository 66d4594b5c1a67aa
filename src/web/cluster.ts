// `gwqueue web --processes N`: N console processes on one port (node:cluster); the primary forks, supervises and stops them.
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { serveClusterProcessMetrics } from '../metrics/metrics-cluster.js';

export interface ConsoleClusterOptions {
  processes: number;
  /** Resolves when the primary is asked to stop (SIGINT/SIGTERM). */
  stop: Promise<unknown>;
  /** One line for the operator (stderr). */
  say: (line: string) => void;
  /** A process that dies unexpectedly is replaced after this delay (ms). */
  restartDelayMs?: number;
}

export const isConsoleWorker = (): boolean => cluster.isWorker;

/** In a console worker, once its server is closed: drop the channel to the primary, or it would keep the process alive. */
export function leaveCluster(): void {
  if (cluster.isWorker && process.connected) process.disconnect();
}

/** In a console worker: resolves when the primary goes away, so an orphan never keeps running. */
export function untilPrimaryGone(): Promise<void> {
  return new Promise((resolve) => process.once('disconnect', () => resolve()));
}

/**
 * Forks the console processes (each runs this same command line and sees `cluster.isWorker`), waits until every one
 * listens, replaces any that dies, and on `stop` sends SIGTERM to all and waits for them. Returns the exit code.
 * Processes share sessions, CSRF and submission tokens through Redis; without GWQUEUE_SECRET_KEY (development)
 * the primary makes one random key for all of them, or a session made by one would be refused by another.
 */
export async function runConsoleCluster(options: ConsoleClusterOptions): Promise<{ code: number; address?: string }> {
  const env: Record<string, string> = {};
  if (!process.env.GWQUEUE_SECRET_KEY) env.GWQUEUE_SECRET_KEY = randomBytes(32).toString('hex');
  let stopping = false;
  let started = false;
  const restartDelayMs = options.restartDelayMs ?? 1000;

  // One /metrics for the console: whichever process serves a scrape gets all processes' own metrics, merged.
  serveClusterProcessMetrics();
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

  const stopAll = async (): Promise<void> => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => Boolean(worker) && !worker!.isDead());
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
  };

  const first = await Promise.race([listening, options.stop.then(() => ({ stopped: true as const }))]);
  if ('stopped' in first) {
    await stopAll();
    return { code: 0 };
  }
  if (first.failed !== undefined) {
    await stopAll();
    return { code: first.failed || 70 };
  }
  started = true;
  options.say(`console at http://${first.address} (${options.processes} processes)`);
  await options.stop;
  await stopAll();
  return { code: 0, address: first.address };
}
