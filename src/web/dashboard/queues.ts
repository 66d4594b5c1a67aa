// Queues page (Flower's "Broker") and History page, with their JSON: counts per queue, the no-worker flag, and the charts' series.
import type { Request, Response, NextFunction } from 'express';
import { queueOverview } from '../../queue/queue-overview.js';
import { HISTORY_RANGES, readHistory, type HistoryRange } from '../../history/history-read.js';
import type { WebContext } from '../context.js';
import { CLEAN_AGES } from '../../actions/queue-actions.js';

export function queuesPage(ctx: WebContext) {
  return async (_req: Request, res: Response, next: NextFunction) => {
    try {
      const queues = await queueOverview(ctx.client);
      res.render('flower/queues', { title: 'Queues', section: 'queues', queues, cleanAges: CLEAN_AGES, refresh: 10 });
    } catch (error) {
      next(error);
    }
  };
}

export function queuesApi(ctx: WebContext) {
  return async (_req: Request, res: Response, next: NextFunction) => {
    try {
      res.set('Cache-Control', 'no-store').json(await queueOverview(ctx.client));
    } catch (error) {
      next(error);
    }
  };
}

const rangeOf = (req: Request): HistoryRange =>
  typeof req.query.range === 'string' && req.query.range in HISTORY_RANGES ? (req.query.range as HistoryRange) : 'hour';

export function historyPage(ctx: WebContext) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const range = rangeOf(req);
      const history = await readHistory(ctx.redis, ctx.config, range);
      res.render('flower/history', { title: 'History', section: 'history', range, ranges: Object.keys(HISTORY_RANGES), history });
    } catch (error) {
      next(error);
    }
  };
}

export function historyApi(ctx: WebContext) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.set('Cache-Control', 'no-store').json(await readHistory(ctx.redis, ctx.config, rangeOf(req)));
    } catch (error) {
      next(error);
    }
  };
}
