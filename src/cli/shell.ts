// `gwqueue shell`: a Node REPL with the app, every task, chain, group, the GraceDB client and Redis loaded; top-level await; history kept.
import type { Command } from 'commander';
import { action, EXIT, withClient } from './context.js';

export function register(program: Command): void {
  program
    .command('shell')
    .description(
      'interactive Node.js shell with every task, chain, group, the GraceDB client and Redis loaded (reads a script from a pipe too)',
    )
    .option('-q, --quiet', 'no banner')
    .action(
      action(async (options: { quiet?: boolean }) =>
        withClient(async (client, config) => {
          const [
            repl,
            { mkdirSync },
            os,
            path,
            { PassThrough },
            { createInterface },
            { services, resetServices },
            { buildShellContext },
            { shellWriter, redactingConsole },
            { VERSION },
          ] = await Promise.all([
            import('node:repl'),
            import('node:fs'),
            import('node:os'),
            import('node:path'),
            import('node:stream'),
            import('node:readline'),
            import('../tasks/services.js'),
            import('./shell/shell-context.js'),
            import('./shell/shell-writer.js'),
            import('../version.js'),
          ]);
          const { context, banner } = buildShellContext(client, config, services(), { gwqueue: VERSION });
          const interactive = !!(process.stdin.isTTY && process.stdout.isTTY);
          if (!options.quiet) process.stderr.write(`${banner.join('\n')}\n`);
          // Without a terminal (a piped script) the REPL still evaluates line by line, with no prompt; lines are fed
          // to it one at a time (below), so that a line runs only after the previous one's await has finished.
          const input = interactive ? process.stdin : new PassThrough();
          const server = repl.start({
            prompt: interactive ? 'gwqueue> ' : '',
            input,
            output: process.stdout,
            terminal: interactive,
            useGlobal: false,
            ignoreUndefined: true,
            preview: interactive,
            writer: shellWriter,
          });
          for (const [name, value] of Object.entries({ ...context, console: redactingConsole(interactive) })) {
            Object.defineProperty(server.context, name, { value, enumerable: true, configurable: true, writable: true });
          }
          // A piped script: feed the REPL one line at a time, each once the previous one is done (its prompt is shown again,
          // also after an await or an error), and count the lines that failed (their eval never calls back: the REPL
          // reports errors itself) so that the exit code says so.
          let evaluating = 0;
          let failures = 0;
          if (!interactive) {
            const evaluate = server.eval;
            const counted: typeof evaluate = (code, ctx, file, callback) => {
              evaluating++;
              evaluate.call(server, code, ctx, file, (error, result) => {
                evaluating--;
                if (error && !(error instanceof repl.Recoverable)) failures++;
                callback(error, result);
              });
            };
            let prompted = true;
            let waiter: (() => void) | undefined;
            const displayPrompt = server.displayPrompt.bind(server);
            // The REPL looks eval and displayPrompt up on each use; the typings call eval read-only.
            Object.assign(server, {
              eval: counted,
              // No prompts ("> ", "... ") in the output of a script: only resume reading, as readline's prompt() does.
              prompt: () => {
                if ((server as unknown as { paused: boolean }).paused) server.resume();
              },
              displayPrompt: (preserveCursor?: boolean) => {
                displayPrompt(preserveCursor);
                failures += evaluating;
                evaluating = 0;
                prompted = true;
                waiter?.();
              },
            });
            const untilPrompt = () => (prompted ? Promise.resolve() : new Promise<void>((resolve) => (waiter = resolve)));
            const script = input as InstanceType<typeof PassThrough>;
            void (async () => {
              for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
                await untilPrompt();
                prompted = false;
                script.write(`${line}\n`);
              }
              await untilPrompt();
              script.end();
            })();
          }
          if (interactive) {
            let history = path.join(config.varDir, 'shell_history');
            try {
              mkdirSync(config.varDir, { recursive: true });
            } catch {
              history = path.join(os.homedir(), '.gwqueue_history');
            }
            server.setupHistory(history, (error) => {
              if (error) process.stderr.write(`gwqueue: no history (${error.message})\n`);
            });
          }
          await new Promise<void>((resolve) => server.once('exit', resolve));
          process.stdin.destroy();
          await resetServices();
          return !interactive && failures > 0 ? EXIT.FAILURE : EXIT.OK;
        }),
      ),
    );
}
