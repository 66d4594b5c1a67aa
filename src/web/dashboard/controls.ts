// The dashboard's controls: retry, cancel, pause, resume, clean, forget, each one route (listed in web/routes.ts) over the action pipeline (actions/), which authorizes, confirms, audits.
import type { Request, RequestHandler } from 'express';
import { cancelTask, retryTask } from '../../actions/task-actions.js';
import { cleanQueue, pauseQueue, resumeQueue } from '../../actions/queue-actions.js';
import { forgetWorker } from '../../actions/worker-actions.js';
import type { WebContext } from '../context.js';
import { actionRoute, backTo } from '../action-route.js';

const param = (name: string) => (req: Request) => String(req.params[name] ?? '');

export type DashboardControl = 'retry' | 'cancel' | 'pause' | 'resume' | 'clean' | 'forget';

export function dashboardControls(ctx: WebContext, base: string, name: DashboardControl): RequestHandler {
  const entry = 'dashboard';
  const back = (fallback: string) => (req: Request) => backTo(req, `${base}${fallback}`);
  const queue = (req: Request) => ({ queue: req.params.name ?? req.body?.queue });
  const controls: Record<DashboardControl, () => RequestHandler> = {
    retry: () => actionRoute(ctx, retryTask, { entry, input: (req) => ({ id: param('id')(req) }), redirect: back('/tasks') }),
    cancel: () => actionRoute(ctx, cancelTask, { entry, input: (req) => ({ id: param('id')(req) }), redirect: back('/tasks') }),
    pause: () => actionRoute(ctx, pauseQueue, { entry, input: queue, redirect: back('/queues') }),
    resume: () => actionRoute(ctx, resumeQueue, { entry, input: queue, redirect: back('/queues') }),
    clean: () =>
      actionRoute(ctx, cleanQueue, {
        entry,
        input: (req) => ({ ...queue(req), state: req.body?.state, age: req.body?.age }),
        redirect: back('/queues'),
      }),
    forget: () => actionRoute(ctx, forgetWorker, { entry, input: (req) => ({ worker: param('name')(req) }), redirect: back('/') }),
  };
  return controls[name]();
}
