// Health endpoints for load balancers and Kubernetes: /healthz (process alive), /readyz (the Nagios check as JSON).
import type { Request, Response, NextFunction } from 'express';
import { checkStatus, readinessResponse } from '../../health/check-status.js';
import type { WebContext } from '../context.js';

export function healthz(_req: Request, res: Response): void {
  res.set('Cache-Control', 'no-store').json({ status: 'ok', pid: process.pid, uptimeSeconds: Math.round(process.uptime()) });
}

export function readyz(ctx: WebContext) {
  return async (_req: Request, res: Response, next: NextFunction) => {
    try {
      const { httpStatus, body } = readinessResponse(await checkStatus(ctx.config, { redis: ctx.redis, timeoutMs: 2000 }));
      res.status(httpStatus).set('Cache-Control', 'no-store').json(body);
    } catch (error) {
      next(error);
    }
  };
}
