// The terminal face of the action pipeline: the OS user acts (audited as user, cli@host); the outcome becomes a line and an exit code.
import type { Config } from '../config/index.js';
import type { TaskClient } from '../queue/client.js';
import { cliOperator } from '../audit/cli-operator.js';
import { checkActionInput, runChecked, type ActionOutcome, type AnyAction, type CheckedInput } from '../actions/pipeline.js';
import { actionDeps } from '../control/action-deps.js';
import { CliError, EXIT, print } from './context.js';
import { processRedactor } from '../log/redact.js';
import { RedisUnavailableError } from '../redis/errors.js';

/**
 * The action's one check of the input, before anything connects: bad input is one line and exit 64, and changes
 * nothing (no Redis, no audit entry). `label` goes in front of the line (the form's name).
 */
export function checkOrExit<I>(action: AnyAction, input: Record<string, unknown>, label?: string): CheckedInput<I> & { ok: true } {
  const checked = checkActionInput<I>(action, input);
  if (!checked.ok) throw new CliError(label ? `${label}: ${checked.refusal.message}` : checked.refusal.message, EXIT.USAGE);
  return checked;
}

/**
 * Runs an action as the OS user (checked here, or by checkOrExit before connecting: `options.checked`). A terminal has said what it wants (the command, or a confirmation the screen asked for
 * itself), so it is never asked again here. `entry` is the command (cli, events, shell), recorded as `via`;
 * `askedBy`: `gwqueue chain -u`.
 */
export function runFromTerminal(
  client: TaskClient,
  config: Config,
  action: AnyAction,
  input: Record<string, unknown>,
  options: { entry?: string; askedBy?: string; checked?: CheckedInput<unknown> } = {},
): Promise<ActionOutcome> {
  const checked = options.checked ?? checkActionInput(action, input);
  return runChecked(
    actionDeps(client, config),
    action,
    {
      actor: { ...cliOperator(), authorized: true, via: 'terminal', askedBy: options.askedBy },
      entry: options.entry ?? 'cli',
      input,
      confirmed: true,
    },
    checked,
  ).catch((error: unknown) => {
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
