// Schedules page (what Celery beat's schedule is to Flower's operators) and its JSON: each schedule, its next and last run.
import type { Request, Response, NextFunction } from 'express';
import { readSchedules } from '../../schedules/schedulers.js';
import type { WebContext } from '../context.js';

export function schedulesPage(ctx: WebContext) {
  return async (_req: Request, res: Response, next: NextFunction) => {
    try {
      const schedules = await readSchedules(ctx.redis, ctx.config);
      res.render('flower/schedules', { title: 'Schedules', section: 'schedules', schedules, refresh: 10 });
    } catch (error) {
      next(error);
    }
  };
}

export function schedulesApi(ctx: WebContext) {
  return async (_req: Request, res: Response, next: NextFunction) => {
    try {
      res.set('Cache-Control', 'no-store').json(await readSchedules(ctx.redis, ctx.config));
    } catch (error) {
      next(error);
    }
  };
}
