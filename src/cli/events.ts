// `gwqueue events`: a full-screen live monitor of tasks (like `celery events`); `--dump` prints one line per event instead.
import type { Command } from 'commander';
import { action, CliError, EXIT, print, withClient } from './context.js';

export function register(program: Command): void {
  program
    .command('events')
    .description('live monitor of tasks in the terminal (q quits); --dump prints each event as one line')
    .option('--dump', 'print each event as one line (for pipes and logs) until interrupted')
    .option('--json', 'with --dump: one JSON object per line')
    .action(
      action(async (options: { dump?: boolean; json?: boolean }) => {
        if (options.json && !options.dump) throw new CliError('--json goes with --dump');
        if (!options.dump && !(process.stdin.isTTY && process.stdout.isTTY)) {
          throw new CliError('events needs a terminal; use --dump to print events as lines');
        }
        return withClient(async (client, config) => {
          if (!options.dump) {
            const { runEventsScreen } = await import('./events/events-screen.js');
            await runEventsScreen(client, config);
            return EXIT.OK;
          }
          const { TaskEventStream, formatEventLine } = await import('./events/task-events.js');
          const { untilSignal } = await import('./stop-signals.js');
          const signal = untilSignal();
          let closed: () => void = () => {};
          const pipeClosed = new Promise<void>((resolve) => (closed = resolve));
          // `gwqueue events --dump | head` must end quietly when the reader goes away.
          process.stdout.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? closed() : undefined));
          const stream = new TaskEventStream(client, config, {
            onEvent: (event) => print(options.json ? JSON.stringify(event) : formatEventLine(event)),
            onError: (error) => process.stderr.write(`gwqueue: reading events: ${error.message}\n`),
          });
          await stream.start();
          process.stderr.write(`gwqueue: listening for task events on ${(await client.queueNames()).join(', ')} (Ctrl-C to stop)\n`);
          await Promise.race([signal, pipeClosed]);
          await stream.stop();
          return EXIT.OK;
        });
      }),
    );
}
