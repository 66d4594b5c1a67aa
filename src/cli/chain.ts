// `gwqueue chain FORM [field=value ...]`: runs an operator chain (the console's forms) from a terminal.
import os from 'node:os';
import type { Command } from 'commander';
import type { OperatorForm } from '../forms/registry.js';
import { fieldUsage } from '../forms/fields.js';
import { action, CliError, print, withClient } from './context.js';
import { processRedactor } from '../log/redact.js';
import { waitSeconds } from './call.js';

interface ChainOptions {
  wait?: boolean | string;
  user?: string;
}

/** `name=value` pairs into fields; a bare `name` is a ticked checkbox. */
export function parseFieldArguments(pairs: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/s.exec(pair);
    if (!match) throw new CliError(`"${pair}" is not field=value`);
    if (match[1] in fields) throw new CliError(`field ${match[1]} is given twice`);
    fields[match[1]] = match[2] ?? 'on';
  }
  return fields;
}

/** The forms and their fields for `gwqueue chain --help`, from the registry: a new form shows up by itself. */
export function formsHelp(forms: readonly OperatorForm[]): string {
  const width = Math.max(...forms.map((form) => form.name.length));
  const lines = ["Forms (GWCelery's path names) and their fields:"];
  for (const form of forms) {
    lines.push(`  ${form.name.padEnd(width)}  ${form.title}${form.confirm ? ' (sends or changes something public)' : ''}`);
    if (form.fields.length) lines.push(`  ${' '.repeat(width)}    ${form.fields.map(fieldUsage).join(' ')}`);
  }
  lines.push('A bare [name] ticks a checkbox; create_update_gcn_circular needs at least one.');
  return lines.join('\n');
}

export function register(program: Command): void {
  // The registry loads the tasks (about a second): only when `chain` runs, or its help is asked for.
  let formsHelpText = '';
  program.hook('preSubcommand', async (_program, subcommand) => {
    if (subcommand.name() === 'chain') formsHelpText = formsHelp((await import('../forms/registry.js')).OPERATOR_FORMS);
  });
  program
    .command('chain <form> [fields...]')
    .description('run an operator chain, as its console form does; fields as name=value (the forms and their fields are listed below)')
    .option('--wait [seconds]', 'wait for the chain and print its result as JSON (a circular as its text)')
    .option('-u, --user <name>', 'who asks (written into the "User X queued …" log message)', `${os.userInfo().username}`)
    .addHelpText('after', () => `\n${formsHelpText}`)
    .addHelpText(
      'after',
      '\nExamples:\n  gwqueue chain send_mock_event --wait\n  gwqueue chain send_preliminary_gcn superevent_id=MS240101a event_id=M1 --wait\n  gwqueue chain create_update_gcn_circular superevent_id=MS240101a sky_localization em_bright --wait',
    )
    .action(
      action(async (form: string, pairs: string[], options: ChainOptions) => {
        const fields = parseFieldArguments(pairs);
        const wait = waitSeconds(options.wait);
        const user = options.user?.trim() || os.userInfo().username;
        if (!/^[\w.@ -]{1,64}$/.test(user)) throw new CliError('--user must be 1-64 letters, digits, spaces or . @ - _');
        const [{ FORM_NAMES }, { formActionNamed }, { checkOrExit }] = await Promise.all([
          import('../forms/registry.js'),
          import('../actions/form-action.js'),
          import('./run-action.js'),
        ]);
        const declared = formActionNamed(form);
        // An unknown form is named last: a long or odd one must not push "unknown form" out of the (shortened) line.
        if (!declared) throw new CliError(`unknown form; use one of ${FORM_NAMES.join(', ')} (got "${form}")`);
        // The console's action under the same name (/audit?form=… lists both), checked before touching Redis: bad
        // input changes nothing. `-u` is kept beside the OS user.
        const checked = checkOrExit(declared, fields, declared.form.name);
        return withClient(async (client, config) => {
          const [{ report, runFromTerminal }, { AsyncResult }] = await Promise.all([
            import('./run-action.js'),
            import('../queue/async-result.js'),
          ]);
          const outcome = await runFromTerminal(client, config, declared, fields, { checked, askedBy: user });
          if (outcome.kind !== 'done' || !outcome.taskId) return report(outcome);
          process.stderr.write(`gwqueue: ${processRedactor().text(outcome.message)}\n`);
          if (wait === undefined) {
            print(outcome.taskId);
            return;
          }
          // A circular as its text, anything else as JSON (print-result.ts).
          (await import('./print-result.js')).printResult(await new AsyncResult(outcome.taskId, client).get({ timeout: wait }));
        });
      }),
    );
}
