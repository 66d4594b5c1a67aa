// The dashboard (Flower on BullMQ) as an Express router: Workers, Tasks, Queues, History, the controls and the JSON API under api/.
import express, { type Router, type Request, type Response, type NextFunction } from 'express';
import type { WebContext } from '../context.js';
import { methodNotAllowed } from '../middleware/errors.js';
import { dashboardOptions, type DashboardOptions } from './options.js';
import { fmt } from './format.js';
import { workerApi, workerPage, workersApi, workersPage } from './workers.js';
import { taskApi, taskRedirect, tasksApi, tasksPage } from './tasks.js';
import { historyApi, historyPage, queuesApi, queuesPage } from './queues.js';
import { dashboardControls } from './controls.js';
import { startMinuteSampler } from '../../history/history-counters.js';

/**
 * Mount it where `base` says, e.g. `app.use('/flower', createDashboardRouter(ctx))`. It needs the console's
 * middleware in front (identity, sessions, CSRF) and its error handler behind.
 */
export function createDashboardRouter(ctx: WebContext, options: Partial<DashboardOptions> = {}): Router {
  const opts = dashboardOptions(options);
  const { base } = opts;
  const router = express.Router({ strict: false });
  // A dashboard that is open samples queue depth and workers online too, so the history has them while no worker runs.
  startMinuteSampler(ctx.redis, ctx.config);

  router.use((req: Request, res: Response, next: NextFunction) => {
    res.locals.base = base;
    res.locals.fmt = fmt;
    res.locals.assets = opts.assets;
    res.locals.dashboardBase = base;
    res.locals.currentUrl = req.originalUrl.slice(0, 1000);
    next();
  });

  const controls = dashboardControls(ctx, base);
  router.get('/', workersPage(ctx, opts));
  router.get('/workers', workersPage(ctx, opts));
  router.get('/workers/:name', workerPage(ctx));
  router.post('/workers/:name/forget', controls.forget);
  router.get('/tasks', tasksPage(ctx, base));
  router.get('/tasks/:id', taskRedirect);
  router.post('/tasks/:id/retry', controls.retry);
  router.post('/tasks/:id/cancel', controls.cancel);
  router.get('/queues', queuesPage(ctx));
  router.post('/queues/clean', controls.clean);
  router.post('/queues/:name/pause', controls.pause);
  router.post('/queues/:name/resume', controls.resume);
  router.post('/queues/:name/clean', controls.clean);
  router.get('/history', historyPage(ctx));

  router.get('/api/workers', workersApi(ctx, opts));
  router.get('/api/workers/:name', workerApi(ctx));
  router.get('/api/tasks', tasksApi(ctx));
  router.get('/api/tasks/:id', taskApi(ctx));
  router.get('/api/queues', queuesApi(ctx));
  router.get('/api/history', historyApi(ctx));
  for (const path of ['/workers/:name/forget', '/tasks/:id/retry', '/tasks/:id/cancel', '/queues/:name/pause', '/queues/:name/resume', '/queues/:name/clean', '/queues/clean']) {
    router.all(path, methodNotAllowed('POST'));
  }
  return router;
}
