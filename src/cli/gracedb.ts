// `gwqueue gracedb`: the embedded GraceDB's REST API alone (GraceDB's paths under /api/ and /gracedb/api/), on port 5556.
import type { Command } from 'commander';
import { action, EXIT } from './context.js';
import { setStopBound, stopSignal, untilStopRequested } from './stop-signals.js';
import { parseHost, parsePort } from './web.js';

export function register(program: Command): void {
  program
    .command('gracedb')
    .description("serve the embedded GraceDB's REST API alone, for GraceDB's clients (gracedb-sdk, ligo-gracedb)")
    .option('-p, --port <port>', 'port to listen on (default: GWQUEUE_GRACEDB_PORT or 5556)')
    .option('-H, --host <address>', 'address to listen on (default: GWQUEUE_WEB_HOST or 127.0.0.1)')
    .action(
      action(async (options: { port?: string; host?: string }) => {
        const port = parsePort(options.port);
        const host = parseHost(options.host);
        const [{ getConfig }, { startGraceDbServer }] = await Promise.all([
          import('../config/index.js'),
          import('../web/gracedb/standalone-app.js'),
        ]);
        const config = getConfig();
        setStopBound(config.worker.shutdownTimeoutMs + 1000);
        const server = await startGraceDbServer(config, { port, host, signal: stopSignal });
        process.stderr.write(`gwqueue: GraceDB API at ${server.url}\n`);
        await untilStopRequested();
        const clean = await server.close();
        return clean ? EXIT.OK : EXIT.FAILURE;
      }),
    );
}
