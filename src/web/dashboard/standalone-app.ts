// `gwqueue flower`: the dashboard on its own port (5555), optionally under a URL prefix, with the task pages its rows link to and the audit log.
import http from 'node:http';
import type { Express } from 'express';
import { buildWebApp } from '../app.js';
import { registerStandaloneDashboardRoutes } from '../routes.js';
import type { Config } from '../../config/index.js';
import { TaskClient } from '../../queue/client.js';
import { createRedisConnection, waitUntilReady } from '../../queue/connection.js';
import { setCurrentClient } from '../../queue/current-client.js';
import type { WebDeps } from '../context.js';
import { buildOperatorCanvas, createConsoleGraceDb } from '../operator-chains.js';
import { dashboardOptions } from './options.js';

/** The same shell as the console (CSP, sessions, CSRF, identity), with the dashboard at `urlPrefix` ('' = the root). */
export function createFlowerApp(deps: WebDeps, options: { urlPrefix?: string } = {}): Express {
  const { base } = dashboardOptions({ base: options.urlPrefix ?? '' });
  return buildWebApp(deps, (app, ctx) => registerStandaloneDashboardRoutes(app, ctx, base), { staticRoots: ['', base], locals: { dashboardBase: base } });
}

export interface FlowerServer {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

export async function startFlowerServer(config: Config, options: { port?: number; host?: string; urlPrefix?: string } = {}): Promise<FlowerServer> {
  // Like the console, it starts while Redis is down (pages answer 503 until it is back), but gives it a moment first.
  const redis = createRedisConnection(config, 'producer');
  await waitUntilReady(redis, config).catch(() => {});
  const client = new TaskClient(config, redis);
  setCurrentClient(client);
  const host = options.host ?? config.web.host;
  const { gracedb, url: gracedbUrl } = createConsoleGraceDb(config, redis);
  const app = createFlowerApp({ config, client, gracedb, gracedbUrl, buildOperatorCanvas, listenHost: host }, { urlPrefix: options.urlPrefix });
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.web.flowerPort, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.web.flowerPort;
  const { base } = dashboardOptions({ base: options.urlPrefix ?? '' });
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${base}/`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await client.close();
    },
  };
}
