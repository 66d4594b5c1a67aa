// `gwqueue flower`: the dashboard on its own port (5555), optionally under a URL prefix, with the task pages its rows link to and the audit log.
import type { Express } from 'express';
import { buildWebApp } from '../app.js';
import type { Config } from '../../config/index.js';
import type { WebDeps } from '../context.js';
import { serveApp, type WebServer } from '../server.js';
import { dashboardOptions } from './options.js';

/** The same shell as the console (CSP, sessions, CSRF, identity), with the dashboard at `urlPrefix` ('' = the root). */
export function createFlowerApp(deps: WebDeps, options: { urlPrefix?: string } = {}): Express {
  const { base } = dashboardOptions({ base: options.urlPrefix ?? '' });
  return buildWebApp(deps, {
    dashboard: { base, assets: `${base}/static` },
    flowerOnly: true,
    staticRoots: ['', base],
    locals: { dashboardBase: base },
  });
}

export type FlowerServer = WebServer;

/** `url` ends with the dashboard's path, e.g. http://127.0.0.1:5555/flower/. */
export async function startFlowerServer(
  config: Config,
  options: { port?: number; host?: string; urlPrefix?: string; signal?: AbortSignal } = {},
): Promise<FlowerServer> {
  const web = await serveApp(
    config,
    (deps) => createFlowerApp(deps, { urlPrefix: options.urlPrefix }),
    { port: options.port ?? config.web.flowerPort, host: options.host ?? config.web.host, what: 'the dashboard' },
    options.signal,
  );
  const { base } = dashboardOptions({ base: options.urlPrefix ?? '' });
  return { ...web, url: `${web.url}${base}/` };
}
