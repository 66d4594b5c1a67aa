// `gwqueue web` (alias `flask run`, as GWCelery's operators type it): the operator console on port 5000.
import type { Command } from 'commander';
import { action, CliError, EXIT } from './context.js';
import { untilSignal } from './worker.js';

export function parsePort(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError(`--port must be a whole number from 0 to 65535 (got "${raw}")`);
  return port;
}

export function register(program: Command): void {
  program
    .command('web')
    .alias('flask')
    .description('run the operator console (forms, task pages, audit log)')
    .option('-p, --port <port>', 'port to listen on (default: PORT or 5000)')
    .option('-H, --host <address>', 'address to listen on (default: GWQUEUE_WEB_HOST or 127.0.0.1)')
    .argument('[run]', 'accepted for `gwqueue flask run` compatibility')
    .action(
      action(async (_run: string | undefined, options: { port?: string; host?: string }) => {
        const port = parsePort(options.port);
        const [{ getConfig }, { startWebServer }] = await Promise.all([import('../config/index.js'), import('../web/server.js'), import('../tasks/index.js')]);
        const config = getConfig();
        const signal = untilSignal();
        const web = await startWebServer(config, { port, host: options.host });
        process.stderr.write(`gwqueue: console at ${web.url}\n`);
        await signal;
        await web.close();
        return EXIT.OK;
      }),
    );
}
