// createApp(deps): the operator console as an Express app; it never listens (server.ts does), so tests use it directly.
import path from 'node:path';
import express, { type Express } from 'express';
import { PACKAGE_ROOT } from '../config/index.js';
import type { WebDeps, WebContext } from './context.js';
import { identity } from './middleware/identity.js';
import { securityHeaders } from './middleware/security.js';
import { csrfProtection, exposeCsrfToken, sessions, takeFlash } from './middleware/session.js';
import { errorHandler, notFound } from './middleware/errors.js';
import { registerHealthRoutes, registerRoutes } from './routes.js';
import { platformInfo } from './platform.js';

export function createApp(deps: WebDeps): Express {
  const ctx: WebContext = { ...deps, redis: deps.client.redis, gracedbLabel: deps.gracedbUrl ?? 'embedded GraceDB (in Redis)' };
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('view engine', 'ejs');
  app.set('views', path.join(PACKAGE_ROOT, 'views'));
  app.set('query parser', 'simple');
  app.locals.platform = platformInfo();
  app.locals.profile = config.profile;
  // Defaults for pages rendered before the identity/session middleware ran (early errors).
  app.locals.identity = { user: null, authorized: false, via: 'anonymous', groups: [], address: '' };
  app.locals.flash = [];
  app.locals.csrfToken = '';

  app.use(securityHeaders());
  app.use('/static/vendor/bootstrap', express.static(path.join(PACKAGE_ROOT, 'node_modules', 'bootstrap', 'dist'), { maxAge: '1d', fallthrough: false }));
  app.use('/static/vendor/uplot', express.static(path.join(PACKAGE_ROOT, 'node_modules', 'uplot', 'dist'), { maxAge: '1d', fallthrough: false }));
  app.use('/static', express.static(path.join(PACKAGE_ROOT, 'public'), { maxAge: '1h', fallthrough: false }));
  registerHealthRoutes(app, ctx);

  const limit = config.auth.bodyLimitBytes;
  app.use(express.urlencoded({ extended: false, limit, parameterLimit: 50 }));
  app.use(express.json({ limit, strict: true }));
  app.use(identity(config.auth, deps.listenHost ?? config.web.host));
  app.use(sessions(config, ctx.redis));
  app.use(takeFlash);
  app.use(csrfProtection);
  app.use(exposeCsrfToken);

  registerRoutes(app, ctx);
  app.use(notFound);
  app.use(errorHandler(config));
  return app;
}
