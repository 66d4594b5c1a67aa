// A browser's state-changing request must come from the console's own pages: Sec-Fetch-Site and Origin checked before the session is read, beside the CSRF token.
import type { Request, Response, NextFunction } from 'express';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/index.js';
import { logger } from '../../log/logger.js';
import { auditRefusal, HttpError } from './errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The console's own origin as this request reached it: scheme and Host, or X-Forwarded-Proto/-Host when a trusted
 * proxy sent them (Express reads those only from GWQUEUE_TRUSTED_PROXIES, app.ts). Null when the Host is unusable.
 */
export function ownOrigin(req: Request): string | null {
  try {
    return req.host ? new URL(`${req.protocol}://${req.host}`).origin : null;
  } catch {
    return null;
  }
}

/**
 * Why a browser's request is refused, or null: Sec-Fetch-Site says another site, or Origin names another origin than
 * the console's own or an allowed one. `Origin: null` (a sandboxed frame, a data: page) is refused too, unless the
 * browser says the request is same-origin: under a no-referrer policy a browser sends null for its own forms.
 */
export function foreignOrigin(req: Request, allowed: readonly string[]): string | null {
  const site = req.get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site')
    return `your browser says this request came from another site (Sec-Fetch-Site: ${site})`;
  const origin = req.get('origin');
  if (origin === undefined) return null;
  let given = 'null';
  try {
    given = new URL(origin).origin;
  } catch {
    // not an origin: refused below
  }
  const own = ownOrigin(req);
  if (given === 'null' ? origin === 'null' && site === 'same-origin' : given === own || allowed.includes(given)) return null;
  return `this request came from ${origin.slice(0, 100) || 'an empty Origin'}, not from the console's own pages (${own ?? 'unknown'})`;
}

/**
 * Defence in depth beside the CSRF token: a browser's POST from another site is refused (403, audited as rejected)
 * even if it carries a valid token. Scripts are not browsers: a request with an API token (or any Authorization
 * header: GraceDB's API takes Basic too) carries no cookie to abuse and is not checked. A browser too old to send
 * Sec-Fetch-Site or Origin on a POST still has the CSRF token against it.
 */
export function fetchOriginCheck(config: Config, redis: Redis) {
  const log = logger('web');
  return async (req: Request, _res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method) || req.identity?.via === 'token' || req.get('authorization') !== undefined) return next();
    const why = foreignOrigin(req, config.auth.allowedOrigins);
    if (!why) return next();
    const user = req.identity?.user ?? 'anonymous';
    // Origin and the console's own side by side: a proxy that forwards neither Host nor X-Forwarded-Host shows here.
    const seen = { origin: req.get('origin')?.slice(0, 100), fetchSite: req.get('sec-fetch-site')?.slice(0, 20), own: ownOrigin(req) };
    log.warn({ method: req.method, path: req.path, user, status: 403, ...seen }, 'cross-site request refused');
    await auditRefusal(redis, config, req, user, `cross-site request refused: ${why}`);
    next(new HttpError(403, `Refused: ${why}. The console accepts forms and controls only from its own pages. Nothing was done.`));
  };
}
