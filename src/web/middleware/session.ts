// Sessions kept in Redis (connect-redis), flash messages in the session, and CSRF tokens (csrf-sync).
import session, { type SessionData } from 'express-session';
import { RedisStore } from 'connect-redis';
import { csrfSync } from 'csrf-sync';
import type { Redis } from 'ioredis';
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { Config } from '../../config/index.js';
import { keyOf } from '../../redis/keys.js';
import { RedisUnavailableError } from '../../redis/errors.js';
import { describeRedis } from '../../redis/connection.js';
import { logger } from '../../log/logger.js';
import { isRedisDown } from './errors.js';

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

type StoreCallback = (error?: unknown) => void;

/**
 * Saving the session happens once the response is written: if Redis went away meanwhile, express-session would pass
 * the error on to Express, which then destroys the connection — the client loses a complete page (or the 303 of an
 * accepted form) and a keep-alive client its next request too. Such a save is dropped and logged instead.
 */
class ConsoleSessionStore extends RedisStore {
  private readonly log = logger('web');

  private tolerant(what: string, callback?: StoreCallback): StoreCallback {
    return (error?: unknown) => {
      if (error && isRedisDown(error)) {
        this.log.warn({ err: { message: (error as Error).message } }, `session ${what} dropped: Redis unavailable`);
        return callback?.();
      }
      return callback?.(error);
    };
  }

  override set(sid: string, sess: SessionData, callback?: StoreCallback): Promise<unknown> {
    return super.set(sid, sess, this.tolerant('save', callback));
  }

  override touch(sid: string, sess: SessionData, callback?: StoreCallback): Promise<unknown> {
    return super.touch(sid, sess, this.tolerant('touch', callback));
  }
}

/**
 * Sessions for browsers only: scripted clients with an API token neither get nor need one. While Redis is down a
 * browser page gets the 503 page at once (it needs no session) rather than forms whose session cannot be kept.
 */
export function sessions(config: Config, redis: Redis): RequestHandler {
  const handler = session({
    store: new ConsoleSessionStore({ client: redis, prefix: `${keyOf(config, 'session')}:`, ttl: 12 * 3600 }),
    name: 'gwqueue.sid',
    secret: config.auth.secretKey,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: config.profile === 'production' ? 'auto' : false, maxAge: 12 * 3600 * 1000 },
  });
  return (req, res, next) => {
    if (isApiClient(req)) return next();
    if (redis.status !== 'ready') return next(new RedisUnavailableError(`cannot reach Redis at ${describeRedis(config)}`));
    return handler(req, res, next);
  };
}

const csrf = csrfSync({
  getTokenFromRequest: (req) => (typeof req.body?._csrf === 'string' ? req.body._csrf : req.get('x-csrf-token')),
  skipCsrfProtection: isApiClient,
  errorConfig: {
    statusCode: 403,
    message: 'The form has expired or did not come from this console (CSRF check failed). Reload the page and try again.',
    code: 'EBADCSRFTOKEN',
  },
});

export const csrfProtection = csrf.csrfSynchronisedProtection;

/**
 * Makes the CSRF token available to every rendered form. It is made when a page is rendered, not for every request:
 * a JSON or redirect answer to a client without a cookie (a script, a poller) then creates no session in Redis.
 */
export function exposeCsrfToken(req: Request, res: Response, next: NextFunction): void {
  let token: string | undefined;
  Object.defineProperty(res.locals, 'csrfToken', {
    enumerable: true,
    configurable: true,
    get: () => (token ??= isApiClient(req) ? '' : csrf.generateToken(req)),
  });
  next();
}
