// The terminal face of the action pipeline: the OS user acts (audited as user, cli@host); the outcome becomes a line and an exit code.
import type { Config } from '../config/index.js';
import type { TaskClient } from '../queue/client.js';
import { cliOperator } from '../audit/cli-operator.js';
import { runAction, type ActionDeps, type ActionOutcome, type OperatorAction } from '../actions/pipeline.js';
import { TaskIndex } from '../task-index/task-index.js';
import { sendControl } from '../control/control-client.js';
import { CliError, EXIT, print } from './context.js';
import { processRedactor } from '../log/redact.js';
import { RedisUnavailableError } from '../redis/errors.js';

export function terminalDeps(client: TaskClient, config: Config): ActionDeps {
  return {
    client,
    config,
    redis: client.redis,
    taskIndex: new TaskIndex(client.redis, config),
    control: { send: (options) => sendControl(client.redis, config, options) },
  };
}

/**
 * Runs an action as the OS user. A terminal has said what it wants (the command, or a confirmation the screen asked
 * for itself), so it is never asked again here. `entry` is the command (cli, events), recorded as `via`.
 */
export function runFromTerminal<T>(
  client: TaskClient,
  config: Config,
  action: OperatorAction<T>,
  input: Record<string, unknown>,
  entry = 'cli',
): Promise<ActionOutcome> {
  return runAction(terminalDeps(client, config), action, {
    actor: { ...cliOperator(), authorized: true, via: 'terminal' },
    entry,
    input,
    confirmed: true,
  }).catch((error: unknown) => {
    // A write that went out unanswered (Redis hung mid-command) may have been done: the line says so, not "failed".
    if (error instanceof RedisUnavailableError && error.uncertain)
      throw new RedisUnavailableError(
        error.message,
        true,
        'it is not known whether it was done; look (gwqueue result ID, the console) before doing it again',
      );
    throw error;
  });
}

/**
 * Prints an outcome and returns its exit code: done or duplicate 0, refused 1; an unknown task (66) or bad input (64)
 * is thrown, for the one error-to-exit-code mapping (context.ts) to print.
 */
export function report(outcome: ActionOutcome, json = false): number {
  if (outcome.kind === 'not-found') throw new CliError(outcome.message, EXIT.NO_INPUT);
  if (outcome.kind === 'invalid') throw new CliError(outcome.message, EXIT.USAGE);
  if (json)
    print(
      JSON.stringify(
        {
          ok: outcome.ok,
          message: outcome.message,
          taskId: outcome.taskId ?? undefined,
          ...(outcome.kind === 'duplicate' ? { duplicate: true } : {}),
          ...outcome.data,
        },
        null,
        2,
      ),
    );
  else if (outcome.ok) print(outcome.message);
  else process.stderr.write(`gwqueue: ${processRedactor().text(outcome.message)}\n`);
  return outcome.ok ? EXIT.OK : EXIT.FAILURE;
}
