// Sessions kept in Redis (connect-redis), flash messages in the session, and CSRF tokens (csrf-sync).
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { csrfSync } from 'csrf-sync';
import type { Redis } from 'ioredis';
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { Config } from '../../config/index.js';
import { keyOf } from '../../queue/keys.js';

export interface Flash {
  kind: 'success' | 'info' | 'warning' | 'danger';
  message: string;
}

declare module 'express-session' {
  interface SessionData {
    flash?: Flash[];
  }
}

export function flash(req: Request, kind: Flash['kind'], message: string): void {
  if (!req.session) return;
  req.session.flash = [...(req.session.flash ?? []), { kind, message }];
}

/** Moves pending flash messages into the page being rendered (each is shown once). */
export function takeFlash(req: Request, res: Response, next: NextFunction): void {
  if (req.session?.flash?.length) {
    res.locals.flash = req.session.flash;
    req.session.flash = [];
  } else {
    res.locals.flash = [];
  }
  next();
}

const isApiClient = (req: Request) => req.identity?.via === 'token';

/** Sessions for browsers only: scripted clients with an API token neither get nor need one. */
export function sessions(config: Config, redis: Redis): RequestHandler {
  const handler = session({
    store: new RedisStore({ client: redis, prefix: `${keyOf(config, 'session')}:`, ttl: 12 * 3600 }),
    name: 'gwqueue.sid',
    secret: config.auth.secretKey,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: config.profile === 'production' ? 'auto' : false, maxAge: 12 * 3600 * 1000 },
  });
  return (req, res, next) => (isApiClient(req) ? next() : handler(req, res, next));
}

const csrf = csrfSync({
  getTokenFromRequest: (req) => (typeof req.body?._csrf === 'string' ? req.body._csrf : req.get('x-csrf-token')),
  skipCsrfProtection: isApiClient,
  errorConfig: { statusCode: 403, message: 'The form has expired or did not come from this console (CSRF check failed). Reload the page and try again.', code: 'EBADCSRFTOKEN' },
});

export const csrfProtection = csrf.csrfSynchronisedProtection;

/** Makes the CSRF token available to every rendered form. */
export function exposeCsrfToken(req: Request, res: Response, next: NextFunction): void {
  res.locals.csrfToken = isApiClient(req) ? '' : csrf.generateToken(req);
  next();
}
