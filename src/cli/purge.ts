// `gwqueue purge [-Q queues] [-f]`: removes waiting tasks after a confirmation (refused without a terminal unless -f), through the action pipeline; says how many.
import type { Command } from 'commander';
import { action, CliError, EXIT, print, withClient } from './context.js';

async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function register(program: Command): void {
  program
    .command('purge')
    .description('remove every task waiting in the queues (not delayed, running or finished ones)')
    .option('-Q, --queues <list>', 'comma-separated queues (default: all)')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--json', 'print how many tasks were removed per queue as JSON')
    .action(
      action(async (options: { queues?: string; force?: boolean; json?: boolean }) =>
        withClient(async (client, config) => {
          const known = await client.queueNames();
          const { parseQueues } = await import('./worker.js');
          const queues = parseQueues(options.queues, known, true) ?? known;
          const [{ purgeQueues, sumOf, waitingCounts }, { report, runFromTerminal }] = await Promise.all([
            import('../actions/queue-actions.js'),
            import('./run-action.js'),
          ]);
          const counts = await waitingCounts(client, queues);
          const total = sumOf(counts);
          const plural = (n: number) => `${n} waiting task${n === 1 ? '' : 's'}`;
          if (total === 0 && !options.json) {
            print(`No waiting tasks in ${queues.join(', ')}: nothing to purge.`);
            return EXIT.OK;
          }
          if (!options.force && total > 0) {
            if (!process.stdin.isTTY)
              throw new CliError(
                `refusing to purge ${plural(total)} without confirmation: standard input is not a terminal (add -f to purge anyway)`,
              );
            if (!(await confirm(`Purge ${plural(total)} from ${queues.join(', ')}? This cannot be undone. [y/N] `))) {
              process.stderr.write('gwqueue: not purged\n');
              return EXIT.FAILURE;
            }
          }
          let removed = counts;
          if (total) {
            const outcome = await runFromTerminal(client, config, purgeQueues, { queues });
            if (outcome.kind !== 'done') return report(outcome);
            removed = outcome.data.removed as Record<string, number>;
          }
          const sum = sumOf(removed);
          if (options.json) print(JSON.stringify({ removed, total: sum }, null, 2));
          else print(`Purged ${plural(sum)} from ${queues.join(', ')}.`);
          return EXIT.OK;
        }),
      ),
    );
}
