// `gwqueue control pause|resume QUEUE, cancel|retry TASK_ID, concurrency WORKER N, shutdown WORKER`: thin adapters over the action pipeline (actions/), audited with the OS user.
import type { Command } from 'commander';
import { action, EXIT, print, withClient } from './context.js';
import { parseDestination, parseTimeout, within } from './inspect.js';
import type { OperatorAction } from '../actions/pipeline.js';

const WORKERS_WAIT = "how long to wait for the workers' answers";

interface Options {
  timeout: string;
  json?: boolean;
}

/** What every control subcommand takes: how long to wait, and JSON output. */
function timedCommand(control: Command, usage: string, description: string, waitFor: string, printed: string): Command {
  return control
    .command(usage)
    .description(description)
    .option('-t, --timeout <seconds>', waitFor, '2')
    .option('--json', `print ${printed} as JSON`);
}

/** A subcommand that runs one action on its one argument (a queue, a task ID) and reports the outcome. */
function actionCommand(
  control: Command,
  usage: string,
  description: string,
  load: () => Promise<OperatorAction<unknown>>,
  input: (argument: string) => Record<string, unknown>,
): void {
  timedCommand(control, usage, description, 'give up after this long', 'the outcome').action(
    action(async (argument: string, options: Options) => {
      const timeoutMs = parseTimeout(options.timeout);
      return withClient(async (client, config) => {
        const [operatorAction, { report, runFromTerminal }] = await Promise.all([load(), import('./run-action.js')]);
        return report(
          await within(timeoutMs, `control ${usage.split(' ')[0]}`, runFromTerminal(client, config, operatorAction, input(argument))),
          options.json,
        );
      });
    }),
  );
}

async function workerCommand(
  workers: string,
  command: 'concurrency' | 'shutdown',
  input: Record<string, unknown>,
  options: Options,
): Promise<number> {
  const destination = parseDestination(workers)!;
  const timeoutMs = parseTimeout(options.timeout);
  return withClient(async (client, config) => {
    const [{ setConcurrency, shutdownWorkers }, { report, runFromTerminal }] = await Promise.all([
      import('../actions/worker-actions.js'),
      import('./run-action.js'),
    ]);
    const outcome = await runFromTerminal(client, config, command === 'concurrency' ? setConcurrency : shutdownWorkers, {
      ...input,
      workers: destination,
      timeoutMs,
    });
    if (outcome.kind !== 'done') return report(outcome, options.json);
    const { replies, missing } = outcome.data as { replies: { worker: string; ok: boolean; message: string }[]; missing: string[] };
    if (options.json) {
      print(
        JSON.stringify(
          { replies: Object.fromEntries(replies.map((r) => [r.worker, r.ok ? { ok: r.message } : { error: r.message }])), missing },
          null,
          2,
        ),
      );
    } else {
      for (const reply of replies) print(`-> ${reply.worker}: ${reply.ok ? 'OK' : 'ERROR'}\n    ${reply.message}`);
    }
    if (missing.length) {
      const { liveWorkers } = await import('../queue/heartbeats.js');
      const online = (await liveWorkers(client.redis, config)).map((w) => w.name);
      for (const name of missing) {
        process.stderr.write(
          `gwqueue: no reply from ${name} within ${timeoutMs / 1000} s${online.includes(name) ? '' : ` (not online; online: ${online.join(', ') || 'none'})`}\n`,
        );
      }
      return EXIT.UNAVAILABLE;
    }
    return replies.every((r) => r.ok) ? EXIT.OK : EXIT.FAILURE;
  });
}

export function register(program: Command): void {
  // Commander's own errors come out as one line through the program's configureOutput (main.ts).
  const control = program
    .command('control')
    .description('control queues, tasks and workers: pause, resume, cancel, retry, concurrency, shutdown (audited)');
  const queueActions = () => import('../actions/queue-actions.js');
  const taskActions = () => import('../actions/task-actions.js');
  const queue = (name: string) => ({ queue: name });
  const task = (id: string) => ({ id });
  actionCommand(
    control,
    'pause <queue>',
    'stop every worker taking tasks from a queue (active tasks finish; new ones wait)',
    async () => (await queueActions()).pauseQueue,
    queue,
  );
  actionCommand(
    control,
    'resume <queue>',
    'let workers take tasks from a paused queue again',
    async () => (await queueActions()).resumeQueue,
    queue,
  );
  actionCommand(
    control,
    'cancel <task_id>',
    'remove a task that has not started (a running task, or a step of a chain, cannot be cancelled)',
    async () => (await taskActions()).cancelTask,
    task,
  );
  actionCommand(
    control,
    'retry <task_id>',
    'run a failed task again with the same arguments, as a new task (once: a second retry of it answers with the first)',
    async () => (await taskActions()).retryTask,
    task,
  );
  timedCommand(
    control,
    'concurrency <workers> <n>',
    'set how many tasks a worker runs at once per queue (comma-separated worker names)',
    WORKERS_WAIT,
    'the answers',
  ).action(action(async (workers: string, n: string, options: Options) => workerCommand(workers, 'concurrency', { n }, options)));
  timedCommand(
    control,
    'shutdown <workers>',
    'stop workers gracefully: they finish their active tasks, then exit (comma-separated worker names)',
    WORKERS_WAIT,
    'the answers',
  ).action(action(async (workers: string, options: Options) => workerCommand(workers, 'shutdown', {}, options)));
}
