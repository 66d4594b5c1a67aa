// `gwqueue call NAME --args='[..]' --kwargs='{..}'`: enqueues a task and prints its ID (with --wait, its result).
import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { action, CliError, jsonOption, print, withClient } from './context.js';

interface CallOptions {
  args?: string;
  kwargs?: string;
  queue?: string;
  countdown?: string;
  eta?: string;
  expires?: string;
  wait?: boolean | string;
  list?: boolean;
}

/** Ten years: a countdown or expiry beyond that is a typo (and beyond ~275 000 years not even a valid date). */
const MAX_DELAY_SECONDS = 10 * 365 * 86_400;
/** A week: waits are timers, which Node cannot set beyond ~24.8 days (it would fire at once). */
export const MAX_WAIT_SECONDS = 7 * 86_400;

/** `--wait [seconds]` of call, chain and result: absent → do not wait; bare → an hour; else at most a week. */
export function waitSeconds(raw: boolean | string | undefined): number | undefined {
  if (raw === undefined || raw === false) return undefined;
  if (raw === true) return 3600;
  return seconds('--wait', raw, MAX_WAIT_SECONDS);
}

/** A plain decimal number of seconds ("" and " ", which Number() reads as 0, "1e3", "Infinity" and "-1" are refused). */
export function seconds(option: string, raw: string | undefined, max = MAX_DELAY_SECONDS): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value > max)
    throw new CliError(`${option} must be a number of seconds from 0 to ${max} (got "${raw}")`);
  return value;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

function isoTime(option: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // Date.parse alone takes "1", "-5" or "March 7" too.
  if (!ISO_8601.test(raw) || Number.isNaN(Date.parse(raw)))
    throw new CliError(`${option} must be an ISO 8601 date-time, e.g. 2024-01-01T12:00:00Z (got "${raw}")`);
  // The same cap as a countdown's: a time in the year 9999 is a typo, not a plan.
  if (Date.parse(raw) - Date.now() > MAX_DELAY_SECONDS * 1000)
    throw new CliError(`${option} must be at most 10 years from now (got "${raw}")`);
  return raw;
}

/** Internal tasks (the canvas's own, e.g. gwqueue.canvas.group_results) are steps a canvas adds, not for calling by hand. */
async function refuseInternal(name: string): Promise<void> {
  const { getTask } = await import('../queue/registry.js');
  if (getTask(name).internal)
    throw new CliError(`${name} is an internal task (a step the canvas adds itself); it cannot be called by hand`);
}

/**
 * -Q must name a queue something consumes: one a registered task uses, or one a live worker serves (`worker -Q new`).
 * A queue nothing reads would hold the task forever.
 */
async function refuseUnservedQueue(queue: string | undefined, client: { redis: Redis }, config: Config): Promise<void> {
  if (queue === undefined) return;
  const [{ registeredQueues }, { liveWorkers }] = await Promise.all([import('../queue/registry.js'), import('../queue/heartbeats.js')]);
  await import('../tasks/index.js');
  const known = new Set([
    ...registeredQueues(),
    ...(await liveWorkers(client.redis, config)).flatMap((worker) => worker.info.queues ?? []),
  ]);
  if (!known.has(queue))
    throw new CliError(`-Q/--queue: no task uses queue "${queue}" and no worker serves it (known: ${[...known].sort().join(', ')})`);
}

/** A queue name as the worker's -Q takes it (whether anything consumes it is checked with Redis: refuseUnservedQueue). */
function queueName(raw: string | undefined): string | undefined {
  if (raw !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(raw))
    throw new CliError(`-Q/--queue must be a queue name of 1-64 letters, digits or . _ - (got "${raw}")`);
  return raw;
}

/** `call --list`: every task that can be called by hand, one line each: name, queue and the first sentence of its description. */
async function listTasks(): Promise<void> {
  await import('../tasks/index.js');
  const { allTasks } = await import('../queue/registry.js');
  const tasks = allTasks()
    .filter((task) => !task.internal)
    .sort((a, b) => a.name.localeCompare(b.name));
  const nameWidth = Math.max(...tasks.map((task) => task.name.length));
  const queueWidth = Math.max(...tasks.map((task) => task.queue.length));
  // The first sentence: one line per task however long the description.
  const summary = (text: string) => /^.*?[.!?](?=\s|$)/s.exec(text)?.[0].replace(/\s+/g, ' ') ?? text;
  print(tasks.map((task) => `${task.name.padEnd(nameWidth)}  ${task.queue.padEnd(queueWidth)}  ${summary(task.description)}`).join('\n'));
}

export function register(program: Command): void {
  program
    .command('call [name]')
    .description('enqueue a task by name and print its ID (--list: which tasks there are)')
    .option('-l, --list', 'list the tasks that can be called: name, queue, what it does (then exit)')
    .option('-a, --args <json>', 'positional arguments as a JSON array (or @file)')
    .option('-k, --kwargs <json>', 'keyword arguments as a JSON object (or @file)')
    .option('-Q, --queue <queue>', "send to this queue instead of the task's own")
    .option('--countdown <seconds>', 'run no earlier than this many seconds from now')
    .option('--eta <iso>', 'run no earlier than this time')
    .option('--expires <seconds|iso>', 'do not run after this many seconds, or after this time')
    .option('--wait [seconds]', 'wait for the task and print its result as JSON')
    .addHelpText('after', '\nThe tasks, with their queues and what they do: gwqueue call --list (docs/tasks.md has their arguments).')
    .action(
      action(async (name: string | undefined, options: CallOptions) => {
        if (options.list) {
          if (name !== undefined) throw new CliError('--list takes no task name');
          return listTasks();
        }
        if (name === undefined) throw new CliError("missing the task's name (gwqueue call --list shows them)");
        const args = (await jsonOption('--args', options.args, 'array')) as unknown[];
        const kwargs = (await jsonOption('--kwargs', options.kwargs, 'object')) as Record<string, unknown>;
        const countdown = seconds('--countdown', options.countdown);
        const eta = isoTime('--eta', options.eta);
        const expires =
          options.expires === undefined
            ? undefined
            : /^\d+(\.\d+)?$/.test(options.expires)
              ? seconds('--expires', options.expires)
              : isoTime('--expires', options.expires);
        const wait = waitSeconds(options.wait);
        const queue = queueName(options.queue);
        const [{ loadTaskFor }, { callTask }, { checkOrExit }] = await Promise.all([
          import('../tasks/load.js'),
          import('../actions/submit-actions.js'),
          import('./run-action.js'),
        ]);
        await loadTaskFor(name);
        await refuseInternal(name);
        const input = { task: name, args, kwargs, queue, countdown, eta, expires };
        // The action's one check before touching Redis: bad input changes nothing.
        const checked = checkOrExit(callTask, input);
        return withClient(
          async (client, config) => {
            await refuseUnservedQueue(queue, client, config);
            const [{ report, runFromTerminal }, { AsyncResult }] = await Promise.all([
              import('./run-action.js'),
              import('../queue/async-result.js'),
            ]);
            const outcome = await runFromTerminal(client, config, callTask, input, { checked });
            if (outcome.kind !== 'done' || !outcome.taskId) return report(outcome);
            if (wait === undefined) {
              print(outcome.taskId);
              return;
            }
            process.stderr.write(`${outcome.taskId}\n`);
            (await import('./print-result.js')).printResult(await new AsyncResult(outcome.taskId, client).get({ timeout: wait }));
          },
          { allTasks: false },
        );
      }),
    );
}
