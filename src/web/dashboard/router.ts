// The dashboard's area (Flower on BullMQ): a router that gives its pages their locals; its lines are in web/routes.ts.
import { gracedbLinks } from '../gracedb/pages.js';
import express, { type Router, type Request, type Response, type NextFunction } from 'express';
import type { WebContext } from '../context.js';
import type { DashboardOptions } from './options.js';
import { fmt } from './format.js';
import { startMinuteSampler } from '../../history/history-counters.js';
import { rootOf } from '../middleware/url-prefix.js';
import { taskButtons } from '../../actions/registry.js';

/**
 * Mounted at the dashboard's base by web/routes.ts, behind the console's middleware (identity, sessions, CSRF) and in
 * front of its error handler.
 */
const TASK_BUTTONS = taskButtons();

export function dashboardArea(ctx: WebContext, options: DashboardOptions): Router {
  const router = express.Router({ strict: false });
  // A dashboard that is open samples queue depth and workers online too, so the history has them while no worker runs.
  startMinuteSampler(ctx.redis, ctx.config);
  router.use((req: Request, res: Response, next: NextFunction) => {
    // Links carry the console's URL prefix; the dashboard is mounted below it (middleware/url-prefix.ts).
    const root = rootOf(req);
    res.locals.base = root + options.base;
    res.locals.fmt = fmt;
    res.locals.assets = root + options.assets;
    res.locals.dashboardBase = root + options.base;
    res.locals.currentUrl = req.originalUrl.slice(0, 1000);
    // A task row's superevent and event IDs (in its arguments and result texts), linked to their GraceDB pages.
    res.locals.gracedbLinks = (task: { args: string; result: string | null }) => gracedbLinks(ctx, req, [task.args, task.result], 3, true);
    // A task row's controls, from the actions that declare a button (actions/registry.ts).
    res.locals.taskButtons = TASK_BUTTONS;
    next();
  });
  return router;
}
