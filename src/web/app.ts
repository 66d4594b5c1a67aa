// createApp(deps): the operator console as an Express app; it never listens (server.ts does), so tests use it directly.
import path from 'node:path';
import express, { type Express, type Request, type Response } from 'express';
import { PACKAGE_ROOT } from '../config/index.js';
import type { WebDeps, WebContext } from './context.js';
import { identity } from './middleware/identity.js';
import { securityHeaders } from './middleware/security.js';
import { bindSessionToIdentity, csrfProtection, exposeCsrfToken, sessions, takeFlash } from './middleware/session.js';
import { errorHandler, notFound, refusedAction } from './middleware/errors.js';
import { registerGraceDbApi, registerProbes, registerRoutes, type Site } from './routes.js';
import { API_PATH } from './gracedb/api-support.js';
import { dashboardOptions, type DashboardOptions } from './dashboard/options.js';
import { platformInfo } from './platform.js';
import { writeAudit } from '../audit/audit-log.js';
import { logger } from '../log/logger.js';
import { tokenFailureLimit } from './middleware/token-limit.js';
import { urlPrefix } from './middleware/url-prefix.js';
import { utf8Bodies } from './middleware/body-format.js';
import { singleHeaders } from './middleware/single-headers.js';
import { fetchOriginCheck } from './middleware/fetch-origin.js';

/**
 * A wrong API token: counted per address (over the limit: 429, audited once per window), logged (never the token),
 * and audited when the request tried to change something (a form, a control).
 */
function refusedToken(ctx: WebContext) {
  const log = logger('web');
  const auditRefusal = (req: Request, address: string, detail: string) =>
    writeAudit(ctx.redis, ctx.config, {
      user: 'anonymous',
      address,
      action: refusedAction(req),
      fields: {},
      taskId: null,
      outcome: 'unauthorized',
      detail,
    });
  const limited = tokenFailureLimit(ctx.config, ctx.redis, (req, address) =>
    auditRefusal(
      req,
      address,
      `too many invalid API tokens: more than ${ctx.config.auth.tokenFailuresPerMinute} a minute from this address`,
    ),
  );
  return async (req: Request, res: Response, address: string) => {
    if (await limited(req, res).catch(() => false)) return;
    log.warn({ method: req.method, path: req.path, address, status: 401 }, 'invalid API token');
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    await auditRefusal(req, address, 'invalid API token');
  };
}

/**
 * The shell every web app of ours shares (console and stand-alone dashboard): CSP, assets served by the app, health
 * routes, body limits, identity, sessions, flash and CSRF; `routes` adds the pages; then 404 and the one error handler.
 */
export function buildWebApp(
  deps: WebDeps,
  options: {
    dashboard?: Partial<DashboardOptions>;
    flowerOnly?: boolean;
    staticRoots?: string[];
    locals?: Record<string, unknown>;
    /** The URL prefix everything is served under ('' or e.g. /gwcelery): GWQUEUE_URL_PREFIX for the console. */
    root?: string;
    /** `gwqueue gracedb`: the GraceDB API alone, at /gracedb/api and GraceDB's own /api. */
    gracedbOnly?: boolean;
  } = {},
): Express {
  const ctx: WebContext = { ...deps, redis: deps.client.redis, gracedbLabel: deps.gracedbUrl ?? 'embedded GraceDB (in Redis)' };
  const { config } = deps;
  const root = options.root ?? '';
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For/-Proto are believed from the configured proxies only: req.ip is the client behind them, and
  // req.secure is true for a request that reached the proxy over TLS (the session cookie's Secure flag depends on it).
  app.set('trust proxy', config.auth.trustedProxies.length ? config.auth.trustedProxies : false);
  app.set('view engine', 'ejs');
  app.set('views', path.join(PACKAGE_ROOT, 'views'));
  app.set('query parser', 'simple');
  // Defaults for pages rendered before the identity/session middleware ran (early errors).
  Object.assign(app.locals, {
    platform: platformInfo(),
    profile: config.profile,
    flash: [],
    csrfToken: '',
    identity: { user: null, authorized: false, role: 'viewer', via: 'anonymous', groups: [], address: '' },
    ...options.locals,
    // Every link a page or a JSON answer gives starts with it (middleware/url-prefix.ts rootOf).
    root,
    // Whether this app serves the embedded GraceDB's pages (`gwqueue flower` does not): gracedb/pages.ts gracedbBase.
    gracedbPages: !options.flowerOnly,
  });

  app.use(securityHeaders(config));
  app.use(singleHeaders(config.auth));
  app.use(urlPrefix(root));
  const vendor = (name: string, dir: string) =>
    express.static(path.join(PACKAGE_ROOT, 'node_modules', name, dir), { maxAge: '1d', fallthrough: false });
  for (const root of new Set(options.staticRoots ?? [''])) {
    app.use(`${root}/static/vendor/bootstrap`, vendor('bootstrap', 'dist'));
    app.use(`${root}/static/vendor/uplot`, vendor('uplot', 'dist'));
    app.use(`${root}/static`, express.static(path.join(PACKAGE_ROOT, 'public'), { maxAge: '1h', fallthrough: false }));
  }
  const dashboard = dashboardOptions(options.dashboard);
  const site: Site = { base: dashboard.base, root, dashboard };
  registerProbes(app, ctx, site, options.flowerOnly);

  const limit = config.auth.bodyLimitBytes;
  app.use(utf8Bodies);
  const apiPaths = [API_PATH, ...(options.gracedbOnly ? ['/api'] : [])];
  const isApi = (req: Request) => apiPaths.some((path) => req.path === path || req.path.startsWith(`${path}/`));
  // The GraceDB API reads its own bodies (routes.ts registerGraceDbApi): its errors are GraceDB's JSON, not pages.
  const unlessApi =
    (parse: express.RequestHandler): express.RequestHandler =>
    (req, res, next) =>
      isApi(req) ? next() : parse(req, res, next);
  app.use(unlessApi(express.urlencoded({ extended: false, limit, parameterLimit: 50 })));
  app.use(unlessApi(express.json({ limit, strict: true })));
  app.use(identity(config.auth, deps.listenHost ?? config.web.host, refusedToken(ctx), isApi));
  // Before sessions: a refused cross-site request reads or makes none (the GraceDB API's too: in the development
  // profile it lets the local user write without credentials, which a page of another site must not use).
  app.use(fetchOriginCheck(config, ctx.redis));
  // Before sessions: the API reads no cookie and makes no session, so it needs no CSRF check (credentials only).
  if (!options.flowerOnly) registerGraceDbApi(app, ctx, options.gracedbOnly ? ['/api'] : []);
  if (options.gracedbOnly) {
    app.get('/', (_req, res) => res.redirect(302, `${root}${API_PATH}/`));
    app.use(notFound);
    app.use(errorHandler(config, ctx.redis));
    return app;
  }
  app.use(sessions(config, ctx.redis, root));
  app.use(bindSessionToIdentity);
  app.use(takeFlash);
  app.use(csrfProtection);
  app.use(exposeCsrfToken);

  registerRoutes(app, ctx, site, options.flowerOnly);
  app.use(notFound);
  app.use(errorHandler(config, ctx.redis));
  return app;
}

/** The operator console (forms, task pages, audit log, dashboard under /flower), under GWQUEUE_URL_PREFIX if set. */
export function createApp(deps: WebDeps): Express {
  return buildWebApp(deps, { root: deps.config.web.urlPrefix });
}
