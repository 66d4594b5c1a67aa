// What every GraceDB API handler shares: the embedded store with links under this console, reading request fields, and GraceDB-shaped errors.
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../../config/index.js';
import { EmbeddedGraceDb, GraceDbBadRequestError, GraceDbError, GraceDbForbiddenError, GraceDbNotFoundError } from '../../gracedb/index.js';
import { bullPrefix } from '../../redis/keys.js';
import { labelFollowUp } from '../../tasks/services.js';
import { RedisUnavailableError } from '../../redis/errors.js';
import { logger } from '../../log/logger.js';
import type { WebContext } from '../context.js';
import { isRedisDown } from '../middleware/errors.js';
import { rootOf } from '../middleware/url-prefix.js';
import { BodyTooLargeError } from './multipart.js';

/** Where the API is served below the console's root (`gwqueue gracedb` serves it at GraceDB's own `/api/` too). */
export const API_PATH = '/gracedb/api';

/**
 * The API's root URL as clients must use it: GWQUEUE_PUBLIC_URL when set (a deployment behind a proxy that rewrites
 * the host), else the request's scheme and host (X-Forwarded-Proto/-Host believed from trusted proxies only).
 */
export function apiRoot(req: Request, config: Config): string {
  const origin = config.web.publicUrl || `${req.protocol}://${req.get('host') ?? 'localhost'}${rootOf(req)}`;
  return `${origin}${req.baseUrl || API_PATH}/`;
}

/** The embedded GraceDB as this request sees it: links under this console, and its writes signed by the caller. */
export function storeFor(ctx: WebContext, req: Request): EmbeddedGraceDb {
  const submitter = req.identity?.user ?? 'anonymous';
  const store: EmbeddedGraceDb = new EmbeddedGraceDb(ctx.redis, bullPrefix(ctx.config), {
    apiUrl: apiRoot(req, ctx.config),
    submitter,
    // A label applied here (or by a sign-off) reaches the orchestrator as one applied by a task does (tasks/services.ts).
    onLabelAdded: async (objectId, label) => {
      const followUp = await labelFollowUp(ctx.config, store, objectId, label);
      if (followUp) await ctx.client.apply(followUp.canvas, { id: followUp.id, submittedBy: submitter });
    },
  });
  return store;
}

/** A request field from a JSON, urlencoded or multipart body: every value given under that name. */
export function values(req: Request, name: string): string[] {
  const multipart = req.multipart?.fields[name];
  if (multipart) return multipart;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const value = body[name] ?? body[`${name}[]`];
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((item) => String(item));
  return [String(value)];
}

/** One field's value (the last one given), or undefined. */
export function value(req: Request, name: string): string | undefined {
  const all = values(req, name);
  return all.length ? all[all.length - 1] : undefined;
}

/**
 * A field a write cannot go without, as text: `given` when the caller has it (the path's own `labels/{name}`, a JSON
 * body's raw value), else the body's form value; GraceDB's 400 when it is missing or empty.
 */
export function requiredValue(req: Request, name: string, given?: unknown): string {
  const text = String((given !== undefined ? given : value(req, name)) ?? '');
  if (!text) throw new GraceDbBadRequestError(`${name}: This field is required.`);
  return text;
}

/** A JSON body's raw value (numbers stay numbers, null stays null), else the form value. */
export function rawValue(req: Request, name: string): unknown {
  const body = req.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object' && name in body && !req.multipart) return body[name];
  return value(req, name);
}

/** A boolean the way Django REST framework reads one: true/false, 1/0, True/False, on/off. */
export function booleanField(req: Request, name: string): boolean | undefined {
  const raw = rawValue(req, name);
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw === 'boolean') return raw;
  const text = String(raw).toLowerCase();
  if (['true', '1', 'on', 'yes'].includes(text)) return true;
  if (['false', '0', 'off', 'no'].includes(text)) return false;
  throw new GraceDbBadRequestError(`${name}: "${String(raw)}" is not a valid boolean`);
}

/** GraceDB's error body: `{"detail": "..."}`, as Django REST framework answers. */
export function sendDetail(res: Response, status: number, detail: string, headers: Record<string, string> = {}): void {
  res.set(headers).status(status).json({ detail });
}

/** 404 for a path of the API that does not exist. */
export function apiNotFound(_req: Request, res: Response): void {
  sendDetail(res, 404, 'Not found.');
}

/** Wraps an async handler so that its errors reach the API's error handler. */
export function handle(fn: (req: Request, res: Response) => Promise<unknown>) {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
}

/**
 * The API's one error handler: GraceDB's errors with their status, Redis away as a bounded 503 that says whether
 * anything may have been written, a body too large as 413, anything else a logged 500. Never a stack trace.
 */
export function apiErrors(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(error);
  const e = error as Error & { status?: number; type?: string; uncertain?: boolean; explanation?: string };
  if (error instanceof GraceDbNotFoundError) return sendDetail(res, 404, e.message);
  if (error instanceof GraceDbForbiddenError) return sendDetail(res, error.status ?? 403, e.message);
  if (error instanceof GraceDbBadRequestError) return sendDetail(res, error.status ?? 400, error.serverMessage);
  if (error instanceof BodyTooLargeError || e?.type === 'entity.too.large') {
    return sendDetail(res, 413, error instanceof BodyTooLargeError ? error.message : 'The request body is too large.');
  }
  if (e?.type === 'entity.parse.failed' || e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return sendDetail(res, 400, 'Malformed request body.');
  }
  if (error instanceof RedisUnavailableError || isRedisDown(error)) {
    logger('web').warn({ method: req.method, path: req.originalUrl, status: 503 }, 'GraceDB API: Redis unavailable');
    const write = req.method !== 'GET' && req.method !== 'HEAD';
    const detail = !write
      ? 'The embedded GraceDB is unavailable right now (Redis cannot be reached); try again in a moment.'
      : e.uncertain === true
        ? 'Redis did not answer in time, so it is not known whether this was written. Sending the same request again with the same Idempotency-Key is safe: it is never written twice.'
        : 'The embedded GraceDB is unavailable right now (Redis cannot be reached). Nothing was written; try again in a moment.';
    return sendDetail(res, 503, detail, { 'Retry-After': '5' });
  }
  if (error instanceof GraceDbError && error.status && error.status < 500) return sendDetail(res, error.status, e.message);
  logger('web').error(
    { method: req.method, path: req.originalUrl, err: { message: e?.message, stack: e?.stack } },
    'GraceDB API request failed',
  );
  sendDetail(res, 500, 'Something went wrong on our side. The error has been logged.');
}
