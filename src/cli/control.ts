// `gwqueue control …`: one subcommand per declared action that offers one (actions/registry.ts: pause, resume, cancel, retry, concurrency, shutdown…), run through the action pipeline and audited with the OS user.
import type { Command } from 'commander';
import { action, EXIT, print, withClient } from './context.js';
import { parseTimeout, within } from './inspect.js';
import type { ActionOutcome } from '../actions/pipeline.js';

interface Options {
  timeout: string;
  json?: boolean;
}

interface Replies {
  replies: { worker: string; ok: boolean; message: string }[];
  missing: string[];
}

/** Workers' answers, one per worker (or JSON), then who did not answer on stderr: exit 69 then, 1 when one refused. */
async function printReplies(
  outcome: ActionOutcome,
  timeoutMs: number,
  json: boolean | undefined,
  online: () => Promise<string[]>,
): Promise<number> {
  const { replies, missing } = outcome.data as unknown as Replies;
  if (json) {
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
    const names = await online();
    for (const name of missing) {
      process.stderr.write(
        `gwqueue: no reply from ${name} within ${timeoutMs / 1000} s${names.includes(name) ? '' : ` (not online; online: ${names.join(', ') || 'none'})`}\n`,
      );
    }
    return EXIT.UNAVAILABLE;
  }
  return replies.every((r) => r.ok) ? EXIT.OK : EXIT.FAILURE;
}

export function register(program: Command): void {
  // Commander's own errors come out as one line through the program's configureOutput (main.ts).
  const control = program.command('control').description('control queues, tasks and workers (audited; the subcommands are listed below)');
  // Made from the declarations when `control` runs (or its help is asked for), and for `completion`, which describes them.
  let added = false;
  program.hook('preSubcommand', async (_program, subcommand) => {
    if ((subcommand.name() !== 'control' && subcommand.name() !== 'completion') || added) return;
    added = true;
    const { controlCommands } = await import('../actions/registry.js');
    for (const { action: declared, cli } of controlCommands()) {
      const names = [...cli.usage.matchAll(/<(\w+)>/g)].map((match) => match[1]);
      control
        .command(cli.usage)
        .description(`${cli.description}${declared.role === 'admin' ? ' (admins only)' : ''}`)
        .option('-t, --timeout <seconds>', cli.replies ? "how long to wait for the workers' answers" : 'give up after this long', '2')
        .option('--json', `print ${cli.replies ? 'the answers' : 'the outcome'} as JSON`)
        .action(
          action(async (...given: unknown[]) => {
            const options = given[names.length] as Options;
            const timeoutMs = parseTimeout(options.timeout);
            const input: Record<string, unknown> = Object.fromEntries(names.map((name, i) => [name, given[i]]));
            if (cli.replies) input.timeoutMs = timeoutMs;
            const { checkOrExit, report, runFromTerminal } = await import('./run-action.js');
            // Bad input: one line and exit 64 before anything connects.
            const checked = checkOrExit(declared, input);
            return withClient(async (client, config) => {
              const run = runFromTerminal(client, config, declared, input, { checked });
              // A worker command waits for the replies itself (its timeout); anything else gives up after the timeout.
              const outcome = cli.replies ? await run : await within(timeoutMs, `control ${cli.usage.split(' ')[0]}`, run);
              if (!cli.replies || outcome.kind !== 'done') return report(outcome, options.json);
              const { liveWorkers } = await import('../queue/heartbeats.js');
              return printReplies(outcome, timeoutMs, options.json, async () =>
                (await liveWorkers(client.redis, config)).map((w) => w.name),
              );
            });
          }),
        );
    }
  });
}
