// `gwqueue status`: one line per live worker (from heartbeats) and "N nodes online."; exit 69 when none.
import type { Command } from 'commander';
import { action, EXIT, print, withClient } from './context.js';

export function register(program: Command): void {
  program
    .command('status')
    .description('list live workers')
    .option('--json', 'print the workers as JSON')
    .action(
      action(async (options: { json?: boolean }) =>
        withClient(async (client, config) => {
          const { liveWorkers } = await import('../queue/heartbeats.js');
          const workers = await liveWorkers(client.redis, config);
          if (options.json)
            print(
              JSON.stringify(
                workers.map((w) => w.info),
                null,
                2,
              ),
            );
          else {
            for (const { name, info } of workers) {
              print(
                `-> ${name}: ${info.status === 'online' ? 'OK' : 'STOPPING'} (queues: ${info.queues.join(', ')}; active ${info.active}, processed ${info.processed})`,
              );
            }
            print(`${workers.length} node${workers.length === 1 ? '' : 's'} online.`);
          }
          if (workers.length === 0) {
            process.stderr.write('gwqueue: no worker is online\n');
            return EXIT.UNAVAILABLE;
          }
          return EXIT.OK;
        }),
      ),
    );
}
