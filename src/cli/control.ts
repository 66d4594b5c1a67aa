// `gwqueue control pause|resume QUEUE, cancel|retry TASK_ID, concurrency WORKER N, shutdown WORKER`: every action audited with the OS user.
import type { Command } from 'commander';
import { action, CliError, EXIT, print, withClient } from './context.js';
import { parseDestination, parseTimeout, within } from './inspect.js';

const WORKERS_WAIT = 'how long to wait for the workers\' answers';

interface Options {
  timeout: string;
  json?: boolean;
}

function report(outcome: { ok: boolean; message: string; refused?: string; taskId?: string; data?: Record<string, unknown> }, json?: boolean): number {
  if (json) print(JSON.stringify({ ok: outcome.ok, message: outcome.message, taskId: outcome.taskId, ...outcome.data }, null, 2));
  else if (outcome.ok) print(outcome.message);
  else process.stderr.write(`gwqueue: ${outcome.message}\n`);
  return outcome.ok ? EXIT.OK : EXIT.FAILURE;
}

/** What every control subcommand takes: how long to wait, and JSON output. */
function timedCommand(control: Command, usage: string, description: string, waitFor: string, printed: string): Command {
  return control.command(usage).description(description).option('-t, --timeout <seconds>', waitFor, '2').option('--json', `print ${printed} as JSON`);
}

function queueCommand(control: Command, name: 'pause' | 'resume', description: string): void {
  timedCommand(control, `${name} <queue>`, description, 'give up after this long', 'the outcome')
    .action(
      action(async (queue: string, options: Options) => {
        const timeoutMs = parseTimeout(options.timeout);
        return withClient(async (client, config) => {
          const known = await client.queueNames();
          if (!known.includes(queue)) throw new CliError(`unknown queue "${queue}" (known: ${known.join(', ')})`);
          const { cliOperator, setQueuePaused } = await import('../monitoring/control-actions.js');
          return report(await within(timeoutMs, `control ${name}`, setQueuePaused(client, config, queue, name === 'pause', cliOperator())), options.json);
        });
      }),
    );
}

function taskCommand(control: Command, name: 'cancel' | 'retry', description: string): void {
  timedCommand(control, `${name} <task_id>`, description, 'give up after this long', 'the outcome')
    .action(
      action(async (id: string, options: Options) => {
        const timeoutMs = parseTimeout(options.timeout);
        return withClient(async (client, config) => {
          const { cancelTask, cliOperator, retryTask } = await import('../monitoring/control-actions.js');
          const run = name === 'cancel' ? cancelTask : retryTask;
          return report(await within(timeoutMs, `control ${name}`, run(client, config, id, cliOperator())), options.json);
        });
      }),
    );
}

async function workerCommand(workers: string, what: { action: 'concurrency' | 'shutdown'; args?: Record<string, unknown> }, options: Options): Promise<number> {
  const destination = parseDestination(workers)!;
  const timeoutMs = parseTimeout(options.timeout);
  return withClient(async (client, config) => {
    const { cliOperator, commandWorkers } = await import('../monitoring/control-actions.js');
    const result = await commandWorkers(client, config, { ...what, destination, timeoutMs }, cliOperator());
    if (options.json) {
      print(JSON.stringify({ replies: Object.fromEntries(result.replies.map((r) => [r.worker, r.ok ? { ok: r.message } : { error: r.message }])), missing: result.missing }, null, 2));
    } else {
      for (const reply of result.replies) print(`-> ${reply.worker}: ${reply.ok ? 'OK' : 'ERROR'}\n    ${reply.message}`);
    }
    if (result.missing.length) {
      const { liveWorkers } = await import('../queue/heartbeats.js');
      const online = (await liveWorkers(client.redis, config)).map((w) => w.name);
      for (const name of result.missing) {
        process.stderr.write(`gwqueue: no reply from ${name} within ${timeoutMs / 1000} s${online.includes(name) ? '' : ` (not online; online: ${online.join(', ') || 'none'})`}\n`);
      }
      return EXIT.UNAVAILABLE;
    }
    return result.replies.every((r) => r.ok) ? EXIT.OK : EXIT.FAILURE;
  });
}

export function register(program: Command): void {
  // Commander's own errors come out as one line through the program's configureOutput (main.ts).
  const control = program.command('control').description('control queues, tasks and workers: pause, resume, cancel, retry, concurrency, shutdown (audited)');
  queueCommand(control, 'pause', 'stop every worker taking tasks from a queue (active tasks finish; new ones wait)');
  queueCommand(control, 'resume', 'let workers take tasks from a paused queue again');
  taskCommand(control, 'cancel', 'remove a task that has not started (a running task cannot be cancelled)');
  taskCommand(control, 'retry', 'run a finished (failed) task again with the same arguments, as a new task');
  timedCommand(control, 'concurrency <workers> <n>', 'set how many tasks a worker runs at once per queue (comma-separated worker names)', WORKERS_WAIT, 'the answers')
    .action(
      action(async (workers: string, n: string, options: Options) => {
        const value = Number(n);
        if (!Number.isInteger(value) || value < 1 || value > 1000) throw new CliError(`N must be a whole number from 1 to 1000 (got "${n}")`);
        return workerCommand(workers, { action: 'concurrency', args: { n: value } }, options);
      }),
    );
  timedCommand(control, 'shutdown <workers>', 'stop workers gracefully: they finish their active tasks, then exit (comma-separated worker names)', WORKERS_WAIT, 'the answers')
    .action(action(async (workers: string, options: Options) => workerCommand(workers, { action: 'shutdown' }, options)));
}
