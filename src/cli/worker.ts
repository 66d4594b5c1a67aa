// `gwqueue worker [-Q q1,q2] [-c N] [-n name]`: runs the registered tasks of the named queues until SIGINT/SIGTERM.
import type { Command } from 'commander';
import { action, CliError, EXIT } from './context.js';
import { setStopBound, stopSignal, untilStopRequested } from './stop-signals.js';
import { WORKER_NAME } from '../queue/heartbeats.js';

/** `-Q a,b`; an unknown queue is an error with the known ones when `strict` (worker, purge), else a warning. */
export function parseQueues(raw: string | undefined, known: string[], strict = false): string[] | undefined {
  if (raw === undefined) return undefined;
  const queues = raw
    .split(',')
    .map((q) => q.trim())
    .filter(Boolean);
  if (!queues.length) throw new CliError('-Q needs at least one queue name');
  const bad = queues.filter((q) => !/^[A-Za-z0-9_.-]{1,64}$/.test(q));
  if (bad.length) throw new CliError(`-Q: invalid queue name ${bad.map((q) => `"${q}"`).join(', ')}`);
  const unknown = queues.filter((q) => !known.includes(q));
  if (unknown.length && strict) throw new CliError(`-Q: unknown queue ${unknown.join(', ')} (known: ${known.join(', ')})`);
  if (unknown.length)
    process.stderr.write(`gwqueue: warning: no registered task uses queue ${unknown.join(', ')} (known: ${known.join(', ')})\n`);
  return queues;
}

export function parseWorkerName(raw: string | undefined): string | undefined {
  if (raw !== undefined && !WORKER_NAME.test(raw))
    throw new CliError(`-n must be a worker name of 1-128 letters, digits or . @ : + - _ (got "${raw}")`);
  return raw;
}

export function parseConcurrency(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 1000) throw new CliError(`-c must be a whole number from 1 to 1000 (got "${raw}")`);
  return value;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('run a worker for the named queues (all known queues by default)')
    .option('-Q, --queues <list>', 'comma-separated queues to consume (known: see docs/tasks.md#queues)')
    .option('-c, --concurrency <n>', 'tasks run at once on each queue (default: per queue, GWQUEUE_QUEUE_CONCURRENCY)')
    .option('-n, --hostname <name>', 'worker name (default worker<pid>@<host>)')
    .option(
      '--metrics-port <port>',
      "serve this process's Prometheus metrics at GET /metrics on this port (default: GWQUEUE_WORKER_METRICS_PORT; none: off)",
    )
    .action(
      action(async (options: { queues?: string; concurrency?: string; hostname?: string; metricsPort?: string }) => {
        const [{ getConfig }, { knownQueues }, { startWorker }] = await Promise.all([
          import('../config/index.js'),
          import('../queue/registry.js'),
          import('../worker/run-worker.js'),
          import('../tasks/index.js'),
        ]);
        const config = getConfig();
        setStopBound(config.worker.shutdownTimeoutMs + 1000);
        // A misspelt queue would leave a worker consuming nothing useful and its real queue unserved.
        const queues = parseQueues(options.queues, knownQueues(), true);
        const concurrency = parseConcurrency(options.concurrency);
        // `gwqueue control shutdown` ends the wait like a signal does.
        let onShutdownRequest!: () => void;
        const requested = new Promise<string>((resolve) => (onShutdownRequest = () => resolve('control shutdown')));
        const metricsPort = options.metricsPort === undefined ? undefined : Number(options.metricsPort);
        if (metricsPort !== undefined && !(/^\d{1,5}$/.test(options.metricsPort!) && metricsPort <= 65_535))
          throw new CliError(`--metrics-port must be a whole number from 0 to 65535 (got "${options.metricsPort}")`);
        const name = parseWorkerName(options.hostname);
        // A SIGTERM while it starts (waiting for Redis) ends the start: StartStopped, exit 0.
        const worker = await startWorker(config, { queues, concurrency, name, onShutdownRequest, metricsPort, signal: stopSignal });
        process.stderr.write(`gwqueue: worker ${worker.name} consuming ${worker.queues.join(', ')}\n`);
        const reason = await Promise.race([untilStopRequested(), requested]);
        process.stderr.write(`gwqueue: shutting down (${reason}): finishing active tasks…\n`);
        const clean = await worker.stop();
        // Tasks may have opened GraceDB/Redis connections of their own; close them so the process can exit.
        const { resetServices } = await import('../tasks/services.js');
        // Bounded like the worker's own stop: with Redis away, closing may wait for it.
        await Promise.race([resetServices(), new Promise((resolve) => setTimeout(resolve, 200).unref())]);
        // main.ts then leaves, even with a connection still reconnecting to a Redis that is away.
        return clean ? EXIT.OK : EXIT.FAILURE;
      }),
    );
}
