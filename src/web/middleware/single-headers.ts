// Headers the console reads one value of are refused when sent more than once: Node keeps the first (or joins them), so the second would be silently ignored.
import type { Request, Response, NextFunction } from 'express';
import type { WebAuthConfig } from '../../config/web.js';
import { HttpError } from './errors.js';

/**
 * Node's HTTP parser keeps the first Authorization, Content-Type, Host, Referer… and joins other repeated headers
 * with ", ": a second token, body type or Origin would be dropped or read as one odd value, and what a proxy or a
 * filter in front saw could differ from what the console acts on. Idempotency-Key is checked where it is read
 * (action-route.ts), with the action's audit name. Not here: X-Forwarded-* and the groups header, whose repeated
 * lines mean the same as one comma-separated line (proxies in a chain; several groups).
 */
export function singleHeaders(auth: Pick<WebAuthConfig, 'identityHeader'>) {
  const names = ['authorization', 'content-type', 'host', 'origin', 'sec-fetch-site', 'x-csrf-token', auth.identityHeader];
  return (req: Request, _res: Response, next: NextFunction) => {
    for (const name of names) {
      const count = req.headersDistinct[name]?.length ?? 0;
      if (count > 1) {
        const shown = name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
        return next(
          new HttpError(400, `The ${shown} header was sent ${count} times; send it once. Nothing was done.`, {}, { field: shown }),
        );
      }
    }
    next();
  };
}
