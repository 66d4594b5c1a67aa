// Sessions kept in Redis (connect-redis), made only when needed and tied to one identity; flash messages in the session; CSRF tokens (csrf-sync).
import { randomBytes } from 'node:crypto';
import session, { type SessionData } from 'express-session';
import { RedisStore } from 'connect-redis';
import { csrfSync } from 'csrf-sync';
import type { Redis } from 'ioredis';
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { Config } from '../../config/index.js';
import { libraryPrefixes } from '../../redis/keys.js';
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
    /** Who the session was made for ('' anonymous): a request by anyone else gets a new session. */
    owner?: string;
  }
}

const ownerOf = (req: Request) => req.identity?.user ?? '';

/** Writing to a session is what makes it (and its Redis key): it is marked with the identity it is for. */
function claim(req: Request): void {
  req.session.owner = ownerOf(req);
}

/**
 * A page shows the messages made since the last one; a client that posts and never reads a page (a script with a
 * browser's session) would otherwise grow its session, read and written whole at every request, without bound.
 */
const MAX_FLASH = 10;

export function flash(req: Request, kind: Flash['kind'], message: string): void {
  if (!req.session) return;
  claim(req);
  req.session.flash = [...(req.session.flash ?? []), { kind, message }].slice(-MAX_FLASH);
}

/**
 * A session belongs to the identity it was made for. When the proxy names somebody else (an anonymous session, then
 * albert.einstein; or one user, then another), the session is replaced by a new, empty one: new ID, no CSRF token, so
 * a token handed out before the change is refused. A session from before owners were recorded is replaced too.
 */
export function bindSessionToIdentity(req: Request, _res: Response, next: NextFunction): void {
  const session = req.session;
  if (!session) return next();
  const owner = session.owner;
  const stale = owner === undefined ? Boolean(session.csrfToken || session.flash?.length) : owner !== ownerOf(req);
  if (!stale) return next();
  logger('web').info({ user: req.identity?.user ?? 'anonymous', path: req.path }, 'identity changed: new session');
  session.regenerate((error) => next(error));
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
 * `root`: the console's URL prefix, the cookie's path.
 */
export function sessions(config: Config, redis: Redis, root = ''): RequestHandler {
  const handler = session({
    store: new ConsoleSessionStore({ client: redis, prefix: libraryPrefixes.session(config), ttl: 12 * 3600 }),
    name: 'gwqueue.sid',
    secret: config.auth.secretKey,
    resave: false,
    saveUninitialized: false,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.profile === 'production' ? 'auto' : false,
      maxAge: 12 * 3600 * 1000,
      // Under a URL prefix the cookie is the console's alone, not every application's on the host.
      path: root || '/',
    },
  });
  return (req, res, next) => {
    if (isApiClient(req)) return next();
    if (redis.status !== 'ready') return next(new RedisUnavailableError(`cannot reach Redis at ${describeRedis(config)}`));
    return handler(req, res, next);
  };
}

/** Viewers may not act: they get no CSRF token (so no session), and their POSTs go on to be refused and audited as unauthorized. */
const mayAct = (req: Request) => req.identity?.authorized === true;

const csrf = csrfSync({
  getTokenFromRequest: (req) => (typeof req.body?._csrf === 'string' ? req.body._csrf : req.get('x-csrf-token')),
  skipCsrfProtection: (req) => isApiClient(req) || !mayAct(req),
  errorConfig: {
    statusCode: 403,
    message: 'The form has expired or did not come from this console (CSRF check failed). Reload the page and try again.',
    code: 'EBADCSRFTOKEN',
  },
});

export const csrfProtection = csrf.csrfSynchronisedProtection;

/**
 * Makes the CSRF token available to rendered forms as `<%= csrfToken %>`: an object whose text is the token, made when
 * the template prints it — rendering copies every local, so a getter would run for every page. The token — and with it the session and its Redis key — is made only when a
 * form is actually rendered for someone who may act: a 404, a JSON answer, a page without a form or any page for a
 * viewer creates no session, so a flood of anonymous GETs adds nothing to Redis.
 */
export function exposeCsrfToken(req: Request, res: Response, next: NextFunction): void {
  let token: string | undefined;
  const value = () => {
    if (token === undefined) {
      if (isApiClient(req) || !mayAct(req) || !req.session) token = '';
      else {
        claim(req);
        token = csrf.generateToken(req);
      }
    }
    return token;
  };
  res.locals.csrfToken = { toString: value, toJSON: value };
  next();
}

/** A form's one-time submission token: a repeat of the same page's POST is caught by it (actions/idempotency.ts). */
export function newSubmissionToken(): string {
  return randomBytes(18).toString('base64url');
}
