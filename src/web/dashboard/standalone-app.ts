// `gwqueue flower`: the dashboard on its own port (5555), optionally under a URL prefix, with the task pages its rows link to and the audit log.
import http from 'node:http';
import path from 'node:path';
import express, { type Express } from 'express';
import { PACKAGE_ROOT, type Config } from '../../config/index.js';
import { TaskClient } from '../../queue/client.js';
import { createRedisConnection, waitUntilReady } from '../../queue/connection.js';
import { setCurrentClient } from '../../queue/current-client.js';
import type { WebContext, WebDeps } from '../context.js';
import { identity } from '../middleware/identity.js';
import { securityHeaders } from '../middleware/security.js';
import { csrfProtection, exposeCsrfToken, sessions, takeFlash } from '../middleware/session.js';
import { errorHandler, notFound } from '../middleware/errors.js';
import { registerHealthRoutes } from '../routes.js';
import { retryTask, taskApi, taskPage } from '../handlers/tasks.js';
import { auditPage } from '../handlers/audit.js';
import { platformInfo } from '../platform.js';
import { buildOperatorCanvas, createConsoleGraceDb } from '../operator-chains.js';
import { createDashboardRouter } from './router.js';
import { dashboardOptions } from './options.js';

/** The same middleware as the console (CSP, sessions, CSRF, identity), with the dashboard at `urlPrefix` ('' = the root). */
export function createFlowerApp(deps: WebDeps, options: { urlPrefix?: string } = {}): Express {
  const ctx: WebContext = { ...deps, redis: deps.client.redis, gracedbLabel: deps.gracedbUrl ?? 'embedded GraceDB (in Redis)' };
  const { config } = deps;
  const { base } = dashboardOptions({ base: options.urlPrefix ?? '' });
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('view engine', 'ejs');
  app.set('views', path.join(PACKAGE_ROOT, 'views'));
  app.set('query parser', 'simple');
  Object.assign(app.locals, {
    platform: platformInfo(), profile: config.profile, flash: [], csrfToken: '', dashboardBase: base,
    identity: { user: null, authorized: false, via: 'anonymous', groups: [], address: '' },
  });

  app.use(securityHeaders());
  const vendor = (name: string, dir: string) => express.static(path.join(PACKAGE_ROOT, 'node_modules', name, dir), { maxAge: '1d', fallthrough: false });
  for (const root of new Set(['', base])) {
    app.use(`${root}/static/vendor/bootstrap`, vendor('bootstrap', 'dist'));
    app.use(`${root}/static/vendor/uplot`, vendor('uplot', 'dist'));
    app.use(`${root}/static`, express.static(path.join(PACKAGE_ROOT, 'public'), { maxAge: '1h', fallthrough: false }));
  }
  registerHealthRoutes(app, ctx);

  const limit = config.auth.bodyLimitBytes;
  app.use(express.urlencoded({ extended: false, limit, parameterLimit: 50 }));
  app.use(express.json({ limit, strict: true }));
  app.use(identity(config.auth, deps.listenHost ?? config.web.host));
  app.use(sessions(config, ctx.redis));
  app.use(takeFlash);
  app.use(csrfProtection);
  app.use(exposeCsrfToken);

  // The console's task pages (every task row links there) and audit log; before the dashboard, which may sit at the root.
  app.get('/tasks/:id', taskPage(ctx));
  app.post('/tasks/:id/retry', retryTask(ctx));
  app.get('/api/tasks/:id', taskApi(ctx));
  app.get('/audit', auditPage(ctx));
  if (base) app.get('/', (_req, res) => res.redirect(302, `${base}/`));
  app.use(base || '/', createDashboardRouter(ctx, { base, assets: `${base}/static` }));
  app.use(notFound);
  app.use(errorHandler(config));
  return app;
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
