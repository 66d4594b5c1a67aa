// The Host page (/flower/host): this machine's CPU, memory, load, disk and network, and each gwqueue process, over the last hour, day or week.
import express, { type Router, type Request, type Response, type NextFunction } from 'express';
import type { WebContext } from '../context.js';
import { RANGES, type Range } from '../../host/host-store.js';
import { startHostSampler } from '../../host/host-sampler.js';
import { initSentry } from '../../sentry/sentry.js';
import { hostPage } from './model.js';

function rangeOf(req: Request): Range {
  const raw = typeof req.query.range === 'string' ? req.query.range : '';
  return (RANGES as readonly string[]).includes(raw) ? (raw as Range) : 'hour';
}

function hostOf(req: Request): string | undefined {
  const raw = typeof req.query.host === 'string' ? req.query.host.trim() : '';
  return raw && raw.length <= 255 ? raw : undefined;
}

/**
 * Mounted at /flower/host. Creating it also starts this web process's own sampling (the workers sample too), which
 * stops by itself once the console's Redis connection is closed.
 */
export function hostRouter(ctx: WebContext, base = '/flower/host'): Router {
  void initSentry(ctx.config);
  startHostSampler(ctx.redis, ctx.config, 'web');
  const router = express.Router({ strict: false });
  const load = async (req: Request) => hostPage(ctx.redis, ctx.config, { host: hostOf(req), range: rangeOf(req) });
  // The dashboard's own sections sit next to the Host tab.
  const locals = { base, dashboardBase: base.replace(/\/host\/?$/, ''), ranges: RANGES };

  router.get('/', async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.set('Cache-Control', 'no-store').render('host/index', { ...locals, title: 'Host', page: await load(req) });
    } catch (error) {
      next(error);
    }
  });
  // The charts alone, for host.js to refresh them in place.
  router.get('/charts', async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.set('Cache-Control', 'no-store').render('host/charts', { ...locals, page: await load(req) });
    } catch (error) {
      next(error);
    }
  });
  router.get('/api', async (req: Request, res: Response, next: NextFunction) => {
    try {
      const page = await load(req);
      res.set('Cache-Control', 'no-store').json({
        host: page.host, hosts: page.hosts, range: page.range, from: page.from, to: page.to, stepMs: page.stepMs,
        intervalMs: page.intervalMs, retentionSeconds: page.retentionSeconds, processes: page.processes, samples: page.raw,
      });
    } catch (error) {
      next(error);
    }
  });
  return router;
}
