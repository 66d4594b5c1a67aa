// The Host page (<dashboard>/host): this machine's CPU, memory, load, disk and network, and each gwqueue process, over the last hour, day or week.
import type { Request, Response, NextFunction } from 'express';
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
 * Starts this web process's own sampling (the workers sample too), which stops by itself once the console's Redis
 * connection is closed. Called once when the host lines of web/routes.ts are mounted.
 */
export function startHostArea(ctx: WebContext): void {
  void initSentry(ctx.config);
  startHostSampler(ctx.redis, ctx.config, 'web');
}

const load = (ctx: WebContext, req: Request) => hostPage(ctx.redis, ctx.config, { host: hostOf(req), range: rangeOf(req) });
// The dashboard's own sections sit next to the Host tab.
const localsOf = (base: string) => ({ base, dashboardBase: base.replace(/\/host\/?$/, ''), ranges: RANGES });

/** GET <dashboard>/host/: the page. */
export function hostIndex(ctx: WebContext, base: string) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.set('Cache-Control', 'no-store').render('host/index', { ...localsOf(base), title: 'Host', page: await load(ctx, req) });
    } catch (error) {
      next(error);
    }
  };
}

/** GET <dashboard>/host/charts: the charts alone, for host.js to refresh them in place. */
export function hostCharts(ctx: WebContext, base: string) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.set('Cache-Control', 'no-store').render('host/charts', { ...localsOf(base), page: await load(ctx, req) });
    } catch (error) {
      next(error);
    }
  };
}

/** GET <dashboard>/host/api: the samples as JSON. */
export function hostApi(ctx: WebContext) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const page = await load(ctx, req);
      res.set('Cache-Control', 'no-store').json({
        host: page.host,
        hosts: page.hosts,
        range: page.range,
        from: page.from,
        to: page.to,
        stepMs: page.stepMs,
        intervalMs: page.intervalMs,
        retentionSeconds: page.retentionSeconds,
        processes: page.processes,
        samples: page.raw,
      });
    } catch (error) {
      next(error);
    }
  };
}
