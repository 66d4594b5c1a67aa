// The one error handler: 404, 405, 403 (CSRF), 413, 415, 503 (Redis down) and 500 pages or JSON; a stack trace for admins only.
import type { Request, Response, NextFunction } from 'express';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/index.js';
import { writeAudit } from '../../audit/audit-log.js';
import { findForm } from '../../forms/registry.js';
import { logger } from '../../log/logger.js';
import { captureWebError } from '../../sentry/sentry.js';
import { redisFault } from '../../redis/errors.js';
import { redactorFor } from '../../log/redact.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** More for a JSON answer, e.g. `field`: the header or field at fault. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function wantsJson(req: Request): boolean {
  return (
    req.path.startsWith('/api/') ||
    req.path.startsWith('/typeahead_') ||
    req.path.startsWith('/flower/api/') ||
    req.accepts(['html', 'json']) === 'json'
  );
}

export function sendError(
  req: Request,
  res: Response,
  status: number,
  title: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  res.status(status);
  if (wantsJson(req)) {
    res.json({ error: message, status, ...extra });
    return;
  }
  res.render('error', { status, title, message, ...extra });
}

export function notFound(req: Request, res: Response): void {
  sendError(req, res, 404, 'Not found', `There is no page at ${req.path}.`);
}

export function methodNotAllowed(allowed: string) {
  return (req: Request, res: Response) => {
    res.set('Allow', allowed);
    sendError(req, res, 405, 'Method not allowed', `${req.method} is not allowed here; use ${allowed}.`);
  };
}

/** Redis trouble of any kind (redis/errors.ts: unreachable, unanswered, out of memory, refusing for now): a 503. */
export function isRedisDown(error: unknown): boolean {
  return redisFault(error, true) !== undefined;
}

/** Reads change nothing: their 503 says what Redis did, never anything about a submission. */
const isRead = (req: Request) => req.method === 'GET' || req.method === 'HEAD';

/** The 503 for Redis trouble: a read says what Redis did and to try again; a submission says whether it was done. */
function redisTroubleAnswer(
  config: Config,
  req: Request,
  error: unknown,
): { title: string; message: string; extra: Record<string, unknown> } {
  const fault = redisFault(error, true) ?? 'unreachable';
  const seconds = Math.round(config.redis.commandTimeoutMs / 100) / 10;
  if (isRead(req)) {
    const message =
      fault === 'no-answer'
        ? `Redis did not answer in ${seconds} s; try again in a moment.`
        : fault === 'out-of-memory'
          ? 'Redis is out of memory (maxmemory reached) and refuses writes; try again once memory has been freed.'
          : fault === 'not-ready'
            ? 'Redis is not ready (loading its data, or failing over); try again in a moment.'
            : 'Redis cannot be reached right now; try again in a moment.';
    return { title: 'Queue unavailable', message, extra: {} };
  }
  // An enqueue that went out unanswered may have been done: say so, rather than "nothing was submitted". The same form
  // (its token) or Idempotency-Key sent again is safe: it finds that task or makes the one task.
  if ((error as { uncertain?: unknown }).uncertain === true)
    return {
      title: 'Queue not answering',
      message:
        (error as { explanation?: string }).explanation ??
        'Redis did not answer in time, so it is not known whether this was submitted. Submitting the same form again (or the same Idempotency-Key) is safe: it is never done twice.',
      extra: { submitted: 'unknown' },
    };
  // Refused (out of memory, loading, read-only) or never sent: Redis did nothing (a refused MULTI or script writes
  // nothing), so nothing was submitted.
  const why =
    fault === 'out-of-memory'
      ? 'Redis is out of memory (maxmemory reached) and refuses writes'
      : fault === 'not-ready'
        ? 'Redis refused it for now (loading its data, or failing over)'
        : fault === 'no-answer'
          ? `Redis did not answer in ${seconds} s`
          : 'Redis cannot be reached';
  return {
    title: 'Queue unavailable',
    message: `The task queue is unavailable right now (${why}). Nothing was submitted; try again in a moment.`,
    extra: { submitted: false },
  };
}

/** The audit name of a refused request (bad CSRF token, bad API token): its form's, else the method and path. */
export function refusedAction(req: Request): string {
  return findForm(req.path.slice(1))?.auditAction ?? `${req.method} ${req.path}`.slice(0, 200);
}

/** Records a refused request in the audit log (never its body: it may not have come from us); a failed write is dropped. */
export async function auditRefusal(redis: Redis, config: Config, req: Request, user: string, detail: string): Promise<void> {
  await writeAudit(redis, config, {
    user,
    address: req.identity?.address ?? '',
    action: refusedAction(req),
    fields: {},
    taskId: null,
    outcome: 'rejected',
    detail,
  }).catch(() => {});
}

/** `redis`: where refused cross-site posts are audited (every attempted action is auditable). */
export function errorHandler(config: Config, redis?: Redis) {
  const log = logger('web');
  // Express recognises error handlers by their four parameters.
  return async (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const e = error as Error & { status?: number; statusCode?: number; type?: string; code?: string };
    const user = req.identity?.user ?? 'anonymous';
    const status = e?.status ?? e?.statusCode;
    if (
      typeof status === 'number' &&
      status >= 400 &&
      status < 500 &&
      !(error instanceof HttpError) &&
      e?.code !== 'EBADCSRFTOKEN' &&
      !e?.type
    ) {
      return sendError(
        req,
        res,
        status,
        status === 404 ? 'Not found' : 'Request refused',
        status === 404 ? `There is no page at ${req.path}.` : e.message,
      );
    }
    if (isRedisDown(error)) {
      log.warn({ method: req.method, path: req.path, user, status: 503, fault: redisFault(error, true) }, 'Redis unavailable');
      res.set('Retry-After', '5');
      const answer = redisTroubleAnswer(config, req, error);
      return sendError(req, res, 503, answer.title, answer.message, answer.extra);
    }
    if (error instanceof HttpError) {
      res.set(error.headers);
      return sendError(req, res, error.status, error.status === 403 ? 'Forbidden' : 'Request refused', error.message, error.extra);
    }
    if (e?.code === 'EBADCSRFTOKEN') {
      log.warn({ method: req.method, path: req.path, user, status: 403 }, 'CSRF check failed');
      // The body is not recorded: it did not come from us.
      if (redis) {
        await auditRefusal(redis, config, req, user, 'CSRF check failed: cross-site or expired form');
      }
      return sendError(req, res, 403, 'Forbidden', e.message);
    }
    if (e?.type === 'entity.too.large')
      return sendError(req, res, 413, 'Request too large', 'The request body is larger than this console accepts.');
    // What the body parsers cannot read (a Content-Encoding they do not know; a charset past middleware/body-charset.ts).
    if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
      return sendError(req, res, 415, 'Unsupported body', `The request body could not be read: ${e.message}. Nothing was done.`);
    if (e?.type === 'entity.parse.failed' || e?.type === 'parameters.too.many') {
      return sendError(req, res, 400, 'Bad request', 'The request body could not be read.');
    }
    log.error({ method: req.method, path: req.path, user, status: 500, err: { message: e?.message, stack: e?.stack } }, 'request failed');
    captureWebError(error, { method: req.method, path: req.path, user, status: 500 });
    // A stack trace shows install paths and library versions: admins only (in development the local user is one).
    const detail = req.identity?.role === 'admin' && e?.stack ? { stack: redactorFor(config).text(e.stack) } : {};
    return sendError(req, res, 500, 'Internal error', 'Something went wrong on our side. The error has been logged.', detail);
  };
}
