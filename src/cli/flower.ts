// `gwqueue flower`: the dashboard alone (Workers, Tasks, Queues, History), on port 5555 like Flower, optionally under a URL prefix.
import type { Command } from 'commander';
import { action, CliError, EXIT } from './context.js';
import { setStopBound, stopSignal, untilStopRequested } from './stop-signals.js';
import { parseHost, parsePort } from './web.js';

export function parseUrlPrefix(raw: string | undefined): string {
  const prefix = (raw ?? '').trim().replace(/^\/+|\/+$/g, '');
  if (prefix && (!/^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(prefix) || prefix.split('/').some((segment) => /^\.+$/.test(segment)))) {
    throw new CliError(`--url-prefix must be a path such as "flower" (got "${raw}")`);
  }
  return prefix ? `/${prefix}` : '';
}

export function register(program: Command): void {
  program
    .command('flower')
    .description('run the monitoring dashboard alone (workers, tasks, queues, history), like Flower')
    .option('-p, --port <port>', 'port to listen on (default: GWQUEUE_FLOWER_PORT or 5555)')
    .option('-H, --host <address>', 'address to listen on (default: GWQUEUE_WEB_HOST or 127.0.0.1)')
    .option('--url-prefix <path>', 'serve the dashboard under this path, e.g. "flower" behind a reverse proxy')
    .action(
      action(async (options: { port?: string; host?: string; urlPrefix?: string }) => {
        const port = parsePort(options.port);
        const host = parseHost(options.host);
        const urlPrefix = parseUrlPrefix(options.urlPrefix);
        const [{ getConfig }, { startFlowerServer }] = await Promise.all([
          import('../config/index.js'),
          import('../web/dashboard/standalone-app.js'),
          import('../tasks/index.js'),
        ]);
        const config = getConfig();
        setStopBound(config.worker.shutdownTimeoutMs + 1000);
        const flower = await startFlowerServer(config, { port, host, urlPrefix, signal: stopSignal });
        process.stderr.write(`gwqueue: dashboard at ${flower.url}\n`);
        await untilStopRequested();
        const clean = await flower.close();
        return clean ? EXIT.OK : EXIT.FAILURE;
      }),
    );
}
