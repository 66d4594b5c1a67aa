// `gwqueue inspect METHOD [-d workers] [-t seconds] [--json]`: what the workers are doing, in Celery's shapes; exit 69 when none answers.
import type { Command } from 'commander';
import { action, CliError, EXIT, print, withClient } from './context.js';
import { WORKER_NAME } from '../queue/heartbeats.js';

const METHODS: [string, string][] = [
  ['active', 'tasks each worker is running'],
  // BullMQ workers do not prefetch: what waits in their queues is what they take next.
  ['reserved', "tasks waiting in each worker's queues"],
  ['scheduled', 'tasks due later, with their ETA'],
  ['stats', 'counters, pool, uptime, memory'],
  ['registered', 'tasks each worker can run'],
  ['active_queues', 'queues consumed, and if paused'],
  ['ping', 'ask each worker to answer "pong"'],
];

export interface TargetOptions {
  destination?: string;
  timeout: string;
  json?: boolean;
}

/** `-d a,b` → names; undefined means every worker. */
export function parseDestination(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (!names.length) throw new CliError('-d needs at least one worker name');
  const bad = names.filter((name) => !WORKER_NAME.test(name));
  if (bad.length) throw new CliError(`-d: invalid worker name ${bad.map((name) => `"${name}"`).join(', ')}`);
  return names;
}

export function parseTimeout(raw: string): number {
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600)
    throw new CliError(`-t must be a number of seconds, more than 0 and at most 3600 (got "${raw}")`);
  return seconds * 1000;
}

/** Rejects after the timeout: inspect and control never hang. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`${what} did not finish within ${ms / 1000} s`, EXIT.TEMPFAIL)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function register(program: Command): void {
  const inspect = program
    .command('inspect')
    // "unknown command '…'" repeats what was typed: one escaped line, by the program's configureOutput (main.ts).
    .description('inspect workers: active, reserved, scheduled, stats, registered, active_queues, ping');
  for (const [method, description] of METHODS) {
    const command = inspect
      .command(method)
      .description(description)
      .option('-d, --destination <workers>', 'comma-separated worker names (default: every worker)')
      .option('-t, --timeout <seconds>', 'how long to wait for the answers', '2')
      .option('--json', 'print the answers as JSON (worker name → answer)');
    if (method === 'active_queues') command.alias('active-queues');
    command.action(
      action(async (options: TargetOptions) => {
        const destination = parseDestination(options.destination);
        const timeoutMs = parseTimeout(options.timeout);
        return withClient(async (client, config) => {
          const { inspect: run, formatInspect } = await import('../control/inspect.js');
          const result = await within(
            method === 'ping' ? timeoutMs + 5000 : timeoutMs,
            `inspect ${method}`,
            run(client, config, method as never, { destination, timeoutMs }),
          );
          if (options.json) print(JSON.stringify(result.replies, null, 2));
          else {
            formatInspect(result).forEach((line) => print(line));
            const n = Object.keys(result.replies).length;
            if (n) print(`${n} node${n === 1 ? '' : 's'} online.`);
          }
          for (const name of result.missing) process.stderr.write(`gwqueue: no reply from ${name}\n`);
          if (result.unserved?.length) process.stderr.write(`gwqueue: no worker consumes queue ${result.unserved.join(', ')}\n`);
          if (!Object.keys(result.replies).length) {
            process.stderr.write('gwqueue: no nodes replied within time constraint\n');
            return EXIT.UNAVAILABLE;
          }
          return result.missing.length ? EXIT.UNAVAILABLE : EXIT.OK;
        });
      }),
    );
  }
}
