// `gwqueue call NAME --args='[..]' --kwargs='{..}'`: enqueues a task and prints its ID (with --wait, its result).
import os from 'node:os';
import type { Command } from 'commander';
import { action, CliError, jsonOption, print, withClient } from './context.js';

interface CallOptions {
  args?: string;
  kwargs?: string;
  queue?: string;
  countdown?: string;
  eta?: string;
  expires?: string;
  wait?: boolean | string;
}

function seconds(option: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new CliError(`${option} must be a number of seconds ≥ 0 (got "${raw}")`);
  return value;
}

function isoTime(option: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (Number.isNaN(Date.parse(raw))) throw new CliError(`${option} must be an ISO 8601 date-time (got "${raw}")`);
  return raw;
}

export function register(program: Command): void {
  program
    .command('call <name>')
    .description('enqueue a task by name and print its ID')
    .option('-a, --args <json>', 'positional arguments as a JSON array (or @file)')
    .option('-k, --kwargs <json>', 'keyword arguments as a JSON object (or @file)')
    .option('-Q, --queue <queue>', 'send to this queue instead of the task\'s own')
    .option('--countdown <seconds>', 'run no earlier than this many seconds from now')
    .option('--eta <iso>', 'run no earlier than this time')
    .option('--expires <seconds|iso>', 'do not run after this many seconds, or after this time')
    .option('--wait [seconds]', 'wait for the task and print its result as JSON')
    .action(
      action(async (name: string, options: CallOptions) => {
        const args = (await jsonOption('--args', options.args, 'array')) as unknown[];
        const kwargs = (await jsonOption('--kwargs', options.kwargs, 'object')) as Record<string, unknown>;
        const countdown = seconds('--countdown', options.countdown);
        const eta = isoTime('--eta', options.eta);
        const expires = options.expires === undefined ? undefined : /^\d+(\.\d+)?$/.test(options.expires) ? Number(options.expires) : isoTime('--expires', options.expires);
        const waitSeconds = options.wait === undefined || options.wait === false ? undefined : options.wait === true ? 3600 : seconds('--wait', options.wait);
        await import('../tasks/index.js');
        const { getTask } = await import('../queue/registry.js');
        const task = getTask(name);
        const signature = task.signature(args, kwargs, { queue: options.queue, countdown, eta, expires }, true);
        // Validate before touching Redis: bad input changes nothing.
        task.bind(args, kwargs);
        return withClient(async (client) => {
          const result = await client.apply(signature, { submittedBy: `${os.userInfo().username}@${os.hostname()} (cli)` });
          if (waitSeconds === undefined) {
            print(result.id);
            return;
          }
          process.stderr.write(`${result.id}\n`);
          print(JSON.stringify(await result.get({ timeout: waitSeconds })));
        });
      }),
    );
}
