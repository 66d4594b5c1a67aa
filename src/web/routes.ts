// Every URL of the console and the dashboard, one line each: method, path, who may call it, its guard, how a repeat is
// caught, and its handler. The registrar below applies the table; docs/console.md#every-url is generated from it.
import express, { type Express, type RequestHandler, type Router } from 'express';
import type { WebContext } from './context.js';
import { actionWebEntries } from '../actions/registry.js';
import { FORM_ACTIONS } from '../actions/form-action.js';
import type { Once as ActionOnce } from '../actions/pipeline.js';
import { home } from './handlers/home.js';
import { actionRoute } from './action-route.js';
import { taskApi, taskFile, taskPage } from './handlers/tasks.js';
import {
  typeaheadEventDetectors,
  typeaheadEventId,
  typeaheadEventSkymapFilename,
  typeaheadFilename,
  typeaheadSupereventId,
} from './handlers/typeahead.js';
import { auditPage } from './handlers/audit.js';
import { methodNotAllowed } from './middleware/errors.js';
import { requireRole } from './middleware/roles.js';
import { formOrJsonBody } from './middleware/body-format.js';
import { healthz, readyz } from './handlers/health.js';
import { metricsRoute } from '../metrics/metrics-http.js';
import { hostApi, hostCharts, hostIndex, startHostArea } from './host/router.js';
import { dashboardArea } from './dashboard/router.js';
import { workerApi, workerPage, workersApi, workersPage } from './dashboard/workers.js';
import { taskApi as dashboardTaskApi, taskRedirect, tasksApi, tasksPage } from './dashboard/tasks.js';
import { historyApi, historyPage, queuesApi, queuesPage } from './dashboard/queues.js';
import { schedulesApi, schedulesPage } from './dashboard/schedules.js';
import type { DashboardOptions } from './dashboard/options.js';
import { apiRootDocument } from './gracedb/api-root.js';
import { eventPage, supereventList, supereventPage } from './gracedb/pages.js';
import { apiErrors, apiNotFound, API_PATH } from './gracedb/api-support.js';
import { multipartBody } from './gracedb/multipart.js';
import {
  addPipelinePreferredEvent,
  addSupereventEvent,
  createEvent,
  createSuperevent,
  getEvent,
  getSuperevent,
  pipelinePreferredEvents,
  removeSupereventEvent,
  replaceEvent,
  searchEvents,
  searchSuperevents,
  supereventEvents,
  updateSuperevent,
} from './gracedb/objects-api.js';
import {
  addLabel,
  addTag,
  createLog,
  createSignoff,
  createVoevent,
  downloadFile,
  getLabel,
  getLog,
  listFiles,
  listLabels,
  listLogs,
  listPermissions,
  listSignoffs,
  listTags,
  listVoevents,
  modifyPermissions,
  removeLabel,
  removeTag,
} from './gracedb/annotations-api.js';

/**
 * Where a line is mounted. probe: before body parsing, identity and sessions (no cookie, no session made);
 * page: the console's own paths; dashboard: under the dashboard's base (/flower, or `gwqueue flower`'s prefix);
 * host: under the dashboard's /host.
 */
export type Area = 'probe' | 'page' | 'dashboard' | 'host';
/**
 * anyone: whoever reaches the console (the viewer role, signed in or not); operator: an authorized user; admin: an
 * admin (the audit log, destructive controls). A POST line's action checks its role in the action pipeline (which
 * refuses and audits), and this column must say the same (test/reliability/security-trust.test.ts); a GET line
 * marked admin is guarded by the registrar (403, audited).
 */
export type Who = 'anyone' | 'operator' | 'admin';
/** csrf|token: a browser's session CSRF token, or an API token instead; none: a read. */
export type Guard = 'none' | 'csrf|token';
/** How a repeated request is caught: a form's one-time submission token or Idempotency-Key; a retry's key is the retried task (an action's line: its declaration says). */
export type Once = ActionOnce;

/** What a handler may know about where it is mounted. */
export interface Site {
  /** The dashboard's base path, e.g. '/flower' ('' at the root), below `root`. */
  base: string;
  /**
   * The console's URL prefix ('' or e.g. '/gwcelery'): taken off a request before routing (middleware/url-prefix.ts),
   * so lines are mounted without it, and put back in front of every link.
   */
  root: string;
  dashboard: DashboardOptions;
}

export interface RouteLine {
  method: 'GET' | 'POST';
  path: string;
  area: Area;
  who: Who;
  guard: Guard;
  once: Once;
  /** Served by `gwqueue flower` too (the task pages its rows link to, the audit log). */
  flower: boolean;
  handler(ctx: WebContext, site: Site): RequestHandler | RequestHandler[];
}

type Handler = RouteLine['handler'];
const line = (
  method: RouteLine['method'],
  path: string,
  area: Area,
  who: Who,
  guard: Guard,
  once: Once,
  flower: 'flower' | '',
  handler: Handler,
): RouteLine => ({ method, path, area, who, guard, once, flower: flower === 'flower', handler });

/** Every URL that runs a declared action (actions/registry.ts): who may, its guard and how a repeat is caught come from the declaration. */
const ACTION_LINES: readonly RouteLine[] = actionWebEntries(FORM_ACTIONS).map(({ action, web }) =>
  line(
    'POST',
    web.path,
    web.area,
    action.role === 'admin' ? 'admin' : 'operator',
    'csrf|token',
    action.once,
    web.flower ? 'flower' : '',
    (ctx, site) => actionRoute(ctx, action, web, site.root + site.base),
  ),
);

// prettier-ignore
export const ROUTES: readonly RouteLine[] = [
  //    method  path                            area         who         guard         once                                   flower    handler
  line('GET',  '/healthz',                      'probe',     'anyone',   'none',       '-',                                   'flower', () => healthz),
  line('GET',  '/readyz',                       'probe',     'anyone',   'none',       '-',                                   'flower', (ctx) => readyz(ctx)),
  line('GET',  '/metrics',                      'probe',     'anyone',   'none',       '-',                                   'flower', (ctx) => metricsRoute(ctx.redis, ctx.config)),
  line('GET',  '/',                             'page',      'anyone',   'none',       '-',                                   '',       (ctx) => home(ctx)),
  line('GET',  '/tasks/:id',                    'page',      'anyone',   'none',       '-',                                   'flower', (ctx) => taskPage(ctx)),
  line('GET',  '/api/tasks/:id',                'page',      'anyone',   'none',       '-',                                   'flower', (ctx) => taskApi(ctx)),
  line('GET',  '/api/tasks/:id/file',           'page',      'anyone',   'none',       '-',                                   'flower', (ctx) => taskFile(ctx)),
  line('GET',  '/typeahead_superevent_id',      'page',      'anyone',   'none',       '-',                                   '',       (ctx) => typeaheadSupereventId(ctx)),
  line('GET',  '/typeahead_event_id',           'page',      'anyone',   'none',       '-',                                   '',       (ctx) => typeaheadEventId(ctx)),
  line('GET',  '/typeahead_skymap_filename',    'page',      'anyone',   'none',       '-',                                   '',       (ctx) => typeaheadFilename(ctx, 'sky_loc', ['.fits', '.fits.gz'])),
  line('GET',  '/typeahead_em_bright_filename', 'page',      'anyone',   'none',       '-',                                   '',       (ctx) => typeaheadFilename(ctx, 'em_bright', ['.json'])),
  line('GET',  '/typeahead_p_astro_filename',   'page',      'anyone',   'none',       '-',                                   '',       (ctx) => typeaheadFilename(ctx, 'p_astro', ['.json'])),
  line('GET',  '/typeahead_event_skymap_filename', 'page',      'anyone',   'none',       '-',                                   '',       (ctx) => typeaheadEventSkymapFilename(ctx)),
  line('GET',  '/typeahead_event_detectors',       'page',      'anyone',   'none',       '-',                                   '',       (ctx) => typeaheadEventDetectors(ctx)),
  line('GET',  '/gracedb/superevents/',         'page',      'anyone',   'none',       '-',                                   '',       (ctx) => supereventList(ctx)),
  line('GET',  '/gracedb/superevents/:superevent_id/view/', 'page', 'anyone', 'none',  '-',                                   '',       (ctx) => supereventPage(ctx)),
  line('GET',  '/gracedb/events/:graceid/view/', 'page',     'anyone',   'none',       '-',                                   '',       (ctx) => eventPage(ctx)),
  line('GET',  '/audit',                        'page',      'admin',    'none',       '-',                                   'flower', (ctx) => auditPage(ctx)),
  line('GET',  '/',                             'host',      'anyone',   'none',       '-',                                   'flower', (ctx, site) => hostIndex(ctx, `${site.root}${site.base}/host`)),
  line('GET',  '/charts',                       'host',      'anyone',   'none',       '-',                                   'flower', (ctx, site) => hostCharts(ctx, `${site.root}${site.base}/host`)),
  line('GET',  '/api',                          'host',      'anyone',   'none',       '-',                                   'flower', (ctx) => hostApi(ctx)),
  line('GET',  '/',                             'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx, site) => workersPage(ctx, site.dashboard)),
  line('GET',  '/workers',                      'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx, site) => workersPage(ctx, site.dashboard)),
  line('GET',  '/workers/:name',                'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx) => workerPage(ctx)),
  line('GET',  '/tasks',                        'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx, site) => tasksPage(ctx, site.root + site.base)),
  line('GET',  '/tasks/:id',                    'dashboard', 'anyone',   'none',       '-',                                   'flower', () => taskRedirect),
  line('GET',  '/queues',                       'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx) => queuesPage(ctx)),
  line('GET',  '/history',                      'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx) => historyPage(ctx)),
  line('GET',  '/schedules',                    'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx) => schedulesPage(ctx)),
  line('GET',  '/api/workers',                  'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx, site) => workersApi(ctx, site.dashboard)),
  line('GET',  '/api/workers/:name',            'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx) => workerApi(ctx)),
  line('GET',  '/api/tasks',                    'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx) => tasksApi(ctx)),
  line('GET',  '/api/tasks/:id',                'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx) => dashboardTaskApi(ctx)),
  line('GET',  '/api/queues',                   'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx) => queuesApi(ctx)),
  line('GET',  '/api/history',                  'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx) => historyApi(ctx)),
  line('GET',  '/api/schedules',                'dashboard', 'anyone',   'none',       '-',                                   'flower', (ctx) => schedulesApi(ctx)),
  ...ACTION_LINES,
];

/**
 * The embedded GraceDB's REST API, GraceDB's own paths under /gracedb/api (src/web/gracedb/; `gwqueue gracedb` serves
 * it alone, at /api too). Mounted after identity and before sessions: Basic (user and API token) or Bearer
 * credentials only, never a cookie, so no CSRF check; every write runs through the action pipeline (audited, and
 * done once per Idempotency-Key).
 */
export interface GraceDbApiLine {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  who: 'anyone' | 'operator' | 'admin';
  once: '-' | 'Idempotency-Key';
  handler(ctx: WebContext): RequestHandler;
}

const api = (
  method: GraceDbApiLine['method'],
  path: string,
  who: GraceDbApiLine['who'],
  handler: GraceDbApiLine['handler'],
): GraceDbApiLine => ({
  method,
  path,
  who,
  once: method === 'GET' ? '-' : 'Idempotency-Key',
  handler,
});

// prettier-ignore
export const GRACEDB_API_ROUTES: readonly GraceDbApiLine[] = [
  //   method    path (below /gracedb/api)                                     who         handler
  api('GET',    '/',                                                           'anyone',   apiRootDocument),
  api('GET',    '/events/',                                                    'anyone',   searchEvents),
  api('POST',   '/events/',                                                    'operator', createEvent),
  api('GET',    '/events/:graceid',                                            'anyone',   getEvent),
  api('PUT',    '/events/:graceid',                                            'operator', replaceEvent),
  api('GET',    '/events/:graceid/labels/',                                    'anyone',   listLabels),
  api('GET',    '/events/:graceid/labels/:label',                              'anyone',   getLabel),
  api('PUT',    '/events/:graceid/labels/:label',                              'operator', addLabel),
  api('DELETE', '/events/:graceid/labels/:label',                              'operator', removeLabel),
  api('GET',    '/events/:graceid/log/',                                       'anyone',   listLogs),
  api('POST',   '/events/:graceid/log/',                                       'operator', createLog),
  api('GET',    '/events/:graceid/log/:N',                                     'anyone',   getLog),
  api('GET',    '/events/:graceid/log/:N/tag/',                                'anyone',   listTags),
  api('PUT',    '/events/:graceid/log/:N/tag/:tag',                            'operator', addTag),
  api('DELETE', '/events/:graceid/log/:N/tag/:tag',                            'operator', removeTag),
  api('GET',    '/events/:graceid/files/',                                     'anyone',   listFiles),
  api('GET',    '/events/:graceid/files/:filename',                            'anyone',   downloadFile),
  api('GET',    '/events/:graceid/voevent/',                                   'anyone',   listVoevents),
  api('POST',   '/events/:graceid/voevent/',                                   'operator', createVoevent),
  api('GET',    '/superevents/',                                               'anyone',   searchSuperevents),
  api('POST',   '/superevents/',                                               'operator', createSuperevent),
  api('GET',    '/superevents/:superevent_id/',                                'anyone',   getSuperevent),
  api('PATCH',  '/superevents/:superevent_id/',                                'operator', updateSuperevent),
  api('GET',    '/superevents/:superevent_id/events/',                         'anyone',   supereventEvents),
  api('POST',   '/superevents/:superevent_id/events/',                         'operator', addSupereventEvent),
  api('DELETE', '/superevents/:superevent_id/events/:graceid/',                'operator', removeSupereventEvent),
  api('GET',    '/superevents/:superevent_id/pipeline_preferred_events/',      'anyone',   pipelinePreferredEvents),
  api('POST',   '/superevents/:superevent_id/pipeline_preferred_events/',      'operator', addPipelinePreferredEvent),
  api('GET',    '/superevents/:superevent_id/labels/',                         'anyone',   listLabels),
  api('POST',   '/superevents/:superevent_id/labels/',                         'operator', addLabel),
  api('GET',    '/superevents/:superevent_id/labels/:label/',                  'anyone',   getLabel),
  api('DELETE', '/superevents/:superevent_id/labels/:label/',                  'operator', removeLabel),
  api('GET',    '/superevents/:superevent_id/logs/',                           'anyone',   listLogs),
  api('POST',   '/superevents/:superevent_id/logs/',                           'operator', createLog),
  api('GET',    '/superevents/:superevent_id/logs/:N/',                        'anyone',   getLog),
  api('GET',    '/superevents/:superevent_id/logs/:N/tags/',                   'anyone',   listTags),
  api('POST',   '/superevents/:superevent_id/logs/:N/tags/',                   'operator', addTag),
  api('DELETE', '/superevents/:superevent_id/logs/:N/tags/:tag/',              'operator', removeTag),
  api('GET',    '/superevents/:superevent_id/files/',                          'anyone',   listFiles),
  api('GET',    '/superevents/:superevent_id/files/:filename',                 'anyone',   downloadFile),
  api('GET',    '/superevents/:superevent_id/voevents/',                       'anyone',   listVoevents),
  api('POST',   '/superevents/:superevent_id/voevents/',                       'operator', createVoevent),
  api('GET',    '/superevents/:superevent_id/permissions/',                    'anyone',   listPermissions),
  api('POST',   '/superevents/:superevent_id/permissions/modify/',             'operator', modifyPermissions),
  api('GET',    '/superevents/:superevent_id/signoffs/',                       'anyone',   listSignoffs),
  api('POST',   '/superevents/:superevent_id/signoffs/',                       'operator', createSignoff),
];

/** Largest request body the API reads: an upload at the store's size cap and its form fields. */
const API_BODY_LIMIT = 5 * 1024 * 1024 + 256 * 1024;

/**
 * Mounts the GraceDB API at /gracedb/api (and at `also`, e.g. GraceDB's own /api for `gwqueue gracedb`). With
 * GRACEDB_URL set the console's GraceDB is another server: the API says so (404) rather than serve a store nobody uses.
 */
export function registerGraceDbApi(app: Express, ctx: WebContext, also: string[] = []): void {
  const router = express.Router({ strict: false, mergeParams: true });
  if (ctx.gracedbUrl) {
    router.use((_req, res) => {
      res.status(404).json({ detail: `This console uses the GraceDB at ${ctx.gracedbUrl}; it serves no GraceDB of its own.` });
    });
  } else {
    router.use(
      express.urlencoded({ extended: false, limit: ctx.config.auth.bodyLimitBytes, parameterLimit: 200 }),
      express.json({ limit: ctx.config.auth.bodyLimitBytes, strict: true }),
      multipartBody(API_BODY_LIMIT),
    );
    for (const route of GRACEDB_API_ROUTES) {
      const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
      router[method](route.path, route.handler(ctx));
    }
    // A path of the API asked with a method it does not take: 405 with Allow, as Django REST framework answers.
    const methods = new Map<string, string[]>();
    for (const route of GRACEDB_API_ROUTES) methods.set(route.path, [...(methods.get(route.path) ?? []), route.method]);
    for (const [path, allowed] of methods) {
      router.all(path, (req, res) => {
        res.set('Allow', [...allowed, 'OPTIONS'].join(', '));
        if (req.method === 'OPTIONS') return void res.status(200).json({ name: path, allowed });
        res.status(405).json({ detail: `Method "${req.method}" not allowed.` });
      });
    }
    router.use(apiNotFound);
    router.use(apiErrors);
  }
  for (const path of [API_PATH, ...also]) app.use(path, router);
}

/** The full path of a line as a site serves it (`root`: the console's URL prefix). */
export function fullPath(route: RouteLine, base: string, root = ''): string {
  if (route.area === 'dashboard') return `${root}${base}${route.path === '/' ? '/' : route.path}`;
  if (route.area === 'host') return `${root}${base}/host${route.path === '/' ? '/' : route.path}`;
  return `${root}${route.path}`;
}

function mount(target: Router, routes: readonly RouteLine[], ctx: WebContext, site: Site): void {
  for (const route of routes) {
    const handlers: RequestHandler[] = [route.handler(ctx, site)].flat();
    if (route.method === 'GET' && route.who !== 'anyone') handlers.unshift(requireRole(ctx.config, ctx.redis, route.who));
    // The console's forms and controls read form fields or JSON; what else a POST line may take is its own business.
    if (route.method === 'POST' && (route.area === 'page' || route.area === 'dashboard')) handlers.unshift(formOrJsonBody);
    if (route.method === 'GET') target.get(route.path, handlers);
    else target.post(route.path, handlers);
  }
  // A path that only takes POST answers other methods with 405 and an Allow header.
  for (const path of new Set(routes.filter((route) => route.method === 'POST').map((route) => route.path))) {
    if (!routes.some((route) => route.path === path && route.method === 'GET')) target.all(path, methodNotAllowed('POST'));
  }
}

/** Probes come before body parsing, identity and sessions: they carry no cookies and must not create sessions. */
export function registerProbes(app: Express, ctx: WebContext, site: Site, flowerOnly = false): void {
  mount(
    app,
    ROUTES.filter((route) => route.area === 'probe' && (!flowerOnly || route.flower)),
    ctx,
    site,
  );
}

/**
 * The rest of the table, after the shell's middleware. The console serves every line with the dashboard at /flower;
 * `gwqueue flower` (flowerOnly) serves the lines marked flower, with the dashboard at its own base.
 */
export function registerRoutes(app: Express, ctx: WebContext, site: Site, flowerOnly = false): void {
  const serves = (area: Area) => ROUTES.filter((route) => route.area === area && (!flowerOnly || route.flower));
  // The console's own paths first: a dashboard at the root must not hide /tasks/:id or /audit.
  mount(app, serves('page'), ctx, site);
  if (flowerOnly && site.base) app.get('/', (_req, res) => res.redirect(302, `${site.base}/`));
  startHostArea(ctx);
  const host = express.Router({ strict: false });
  mount(host, serves('host'), ctx, site);
  app.use(`${site.base}/host`, host);
  const dashboard = dashboardArea(ctx, site.dashboard);
  mount(dashboard, serves('dashboard'), ctx, site);
  app.use(site.base || '/', dashboard);
}
