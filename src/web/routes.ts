// Every URL of the web console, in one place: method, path and handler.
import type { Express } from 'express';
import type { WebContext } from './context.js';
import { OPERATOR_FORMS } from '../forms/registry.js';
import { home } from './handlers/home.js';
import { submitForm } from './handlers/submit.js';
import { retryTaskRoute, taskApi, taskPage } from './handlers/tasks.js';
import { typeaheadEventId, typeaheadFilename, typeaheadSupereventId } from './handlers/typeahead.js';
import { auditPage } from './handlers/audit.js';
import { methodNotAllowed } from './middleware/errors.js';
import { healthz, readyz } from './handlers/health.js';
import { metricsRoute } from '../metrics/metrics-http.js';
import { hostRouter } from './host/router.js';
import { createDashboardRouter } from './dashboard/router.js';

/** Registered before sessions and CSRF: probes carry no cookies and must not create sessions. */
export function registerHealthRoutes(app: Express, ctx: WebContext): void {
  app.get('/healthz', healthz);
  app.get('/readyz', readyz(ctx));
  app.get('/metrics', metricsRoute(ctx.redis, ctx.config));
}

export function registerRoutes(app: Express, ctx: WebContext): void {
  app.get('/', home(ctx));

  // The operator forms, at GWCelery's paths; any other method is 405.
  for (const form of OPERATOR_FORMS) {
    app.post(`/${form.name}`, ...submitForm(ctx, form));
    app.all(`/${form.name}`, methodNotAllowed('POST'));
  }

  app.get('/tasks/:id', taskPage(ctx));
  app.post('/tasks/:id/retry', retryTaskRoute(ctx));
  app.get('/api/tasks/:id', ...taskApi(ctx));

  app.get('/typeahead_superevent_id', typeaheadSupereventId(ctx));
  app.get('/typeahead_event_id', typeaheadEventId(ctx));
  app.get('/typeahead_skymap_filename', typeaheadFilename(ctx, 'sky_loc', ['.fits', '.fits.gz']));
  app.get('/typeahead_em_bright_filename', typeaheadFilename(ctx, 'em_bright', ['.json']));
  app.get('/typeahead_p_astro_filename', typeaheadFilename(ctx, 'p_astro', ['.json']));

  app.get('/audit', auditPage(ctx));
  app.use('/flower/host', hostRouter(ctx));
  app.use('/flower', createDashboardRouter(ctx, { base: '/flower' }));
}

/** `gwqueue flower`: the dashboard at `base` ('' = the root), plus the console's task pages its rows link to and the audit log. */
export function registerStandaloneDashboardRoutes(app: Express, ctx: WebContext, base: string): void {
  // Before the dashboard, which may sit at the root.
  app.get('/tasks/:id', taskPage(ctx));
  app.post('/tasks/:id/retry', retryTaskRoute(ctx));
  app.get('/api/tasks/:id', ...taskApi(ctx));
  app.get('/audit', auditPage(ctx));
  if (base) app.get('/', (_req, res) => res.redirect(302, `${base}/`));
  app.use(`${base}/host`, hostRouter(ctx));
  app.use(base || '/', createDashboardRouter(ctx, { base, assets: `${base}/static` }));
}
