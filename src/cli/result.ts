// `gwqueue result ID`: prints a task's result as JSON; a failed task's error (stack with --traceback) and exit 1.
import type { Command } from 'commander';
import { action, CliError, EXIT, print, withClient } from './context.js';
import { MAX_WAIT_SECONDS, seconds } from './call.js';

export function register(program: Command): void {
  program
    .command('result <id>')
    .description('print the result of a task (any queue) as JSON')
    .option('--traceback', 'for a failed task, print the stack trace')
    .option('--wait [seconds]', 'wait until the task is finished (default: up to an hour)')
    .action(
      action(async (id: string, options: { traceback?: boolean; wait?: boolean | string }) => {
        const waitSeconds = options.wait === undefined || options.wait === false ? undefined : options.wait === true ? 3600 : seconds('--wait', options.wait, MAX_WAIT_SECONDS);
        return withClient(async (client) => {
          const { AsyncResult, TaskFailedError } = await import('../queue/async-result.js');
          const handle = new AsyncResult(id, client);
          let info = await handle.info();
          if (waitSeconds !== undefined) {
            try {
              await handle.get({ timeout: waitSeconds });
            } catch (error) {
              if (!(error instanceof TaskFailedError)) throw error;
            }
            info = await handle.info();
          }
          if (info.state === 'completed') {
            print(JSON.stringify(info.result, null, 2));
            return EXIT.OK;
          }
          if (info.state === 'failed') {
            print(options.traceback && info.error?.stack ? info.error.stack : `${info.name} failed: ${info.error?.message ?? 'unknown error'}`);
            return EXIT.FAILURE;
          }
          throw new CliError(`task ${id} is ${info.state} (not finished yet); use --wait to wait for it`, EXIT.TEMPFAIL);
        });
      }),
    );
}
