// `gwqueue chain FORM [field=value ...]`: runs an operator chain (the console's forms) from a terminal.
import os from 'node:os';
import type { Command } from 'commander';
import { action, auditCliSubmission, CliError, print, withClient } from './context.js';
import { MAX_WAIT_SECONDS, seconds } from './call.js';

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

function waitSeconds(raw: boolean | string | undefined): number | undefined {
  if (raw === undefined || raw === false) return undefined;
  if (raw === true) return 3600;
  return seconds('--wait', raw, MAX_WAIT_SECONDS);
}

export function register(program: Command): void {
  program
    .command('chain <form> [fields...]')
    .description('run an operator chain, as its console form does (send_preliminary_gcn, send_update_gcn, create_update_gcn_circular, change_prefered_event, apply_raven_labels, send_mock_event, send_mock_joint_event); fields as name=value')
    .option('--wait [seconds]', 'wait for the chain and print its result as JSON')
    .option('-u, --user <name>', 'who asks (written into the "User X queued …" log message)', `${os.userInfo().username}`)
    .addHelpText('after', '\nExamples:\n  gwqueue chain send_mock_event --wait\n  gwqueue chain send_preliminary_gcn superevent_id=MS240101a event_id=M1 --wait\n  gwqueue chain create_update_gcn_circular superevent_id=MS240101a sky_localization em_bright --wait')
    .action(
      action(async (form: string, pairs: string[], options: ChainOptions) => {
        const fields = parseFieldArguments(pairs);
        const wait = waitSeconds(options.wait);
        const user = options.user?.trim() || os.userInfo().username;
        if (!/^[\w.@ -]{1,64}$/.test(user)) throw new CliError('--user must be 1-64 letters, digits, spaces or . @ - _');
        const [{ getConfig }, { buildOperatorChain, OperatorChainInputError }] = await Promise.all([
          import('../config/index.js'),
          import('../tasks/operator-chains.js'),
        ]);
        // Validate and build before touching Redis: bad input changes nothing.
        let built;
        try {
          built = buildOperatorChain(form, fields, { user, config: getConfig() });
        } catch (error) {
          // An unknown form is named last: a long or odd one must not push "unknown form" out of the (shortened) line.
          if (error instanceof OperatorChainInputError) throw new CliError('form' in error.errors ? `${error.errors.form} (got "${form}")` : error.message);
          throw error;
        }
        const { canvas, flash } = built;
        return withClient(async (client, config) => {
          const result = await client.apply(canvas, { submittedBy: `${user} (cli)` });
          // The same action name as the console's form, so /audit?form=… lists both; `-u` is kept beside the OS user.
          await auditCliSubmission(client, config, { action: form, fields: { ...fields, asked_by: user }, taskId: result.id, detail: `queued ${form}` });
          process.stderr.write(`gwqueue: ${flash}\n`);
          if (wait === undefined) {
            print(result.id);
            return;
          }
          process.stderr.write(`${result.id}\n`);
          print(JSON.stringify(await result.get({ timeout: wait })));
        });
      }),
    );
}
