// What request bodies the console reads: UTF-8 only (another declared charset: 415), and on its own routes form fields or a JSON object, never a body it would silently not read.
import type { Request, Response, NextFunction } from 'express';
import { HttpError } from './errors.js';

/**
 * Only UTF-8 is declared as read. US-ASCII is a subset of it, but the body parsers refuse it by name; a client that
 * declares it is told what to declare instead, like any other.
 */
const ACCEPTED = new Set(['utf-8']);

/** The charset parameter of a Content-Type header, lower-case and unquoted, or undefined without one. */
export function declaredCharset(contentType: string | undefined): string | undefined {
  for (const part of (contentType ?? '').split(';').slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    return part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return undefined;
}

/**
 * Before the body parsers: they would decode UTF-7, UTF-16 or Latin-1 and hand on text in which a filter looking for
 * `<` or a quote finds none (UTF-7's `+ADw-`). A browser sends UTF-8 (the pages declare it); a client that says
 * otherwise is told so.
 */
export function utf8Bodies(req: Request, _res: Response, next: NextFunction): void {
  const charset = declaredCharset(req.get('content-type'));
  if (charset === undefined || ACCEPTED.has(charset)) return next();
  next(
    new HttpError(
      415,
      `The request body declares charset=${charset.slice(0, 40)}; this console reads request bodies as UTF-8 only (charset=utf-8, or none). Nothing was done.`,
      {},
      { field: 'Content-Type' },
    ),
  );
}

const READ_TYPES = ['application/x-www-form-urlencoded', 'application/json'];

/**
 * On the console's own POST routes (routes.ts), after the body parsers: a body they did not read (multipart, text, no
 * Content-Type) would reach the action as no fields at all — an API call would then run with its defaults (a mock
 * event of another kind than asked) — and a JSON array or string as no fields too. Both are refused instead.
 */
export function formOrJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is(READ_TYPES)) {
    const type = (req.get('content-type') ?? 'none').split(';')[0].trim().slice(0, 60) || 'none';
    return next(
      new HttpError(
        415,
        `The request body is ${type === 'none' ? 'of no declared type' : type}; send form fields (application/x-www-form-urlencoded) or a JSON object (application/json). Nothing was done.`,
        {},
        { field: 'Content-Type' },
      ),
    );
  }
  if (req.body !== undefined && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)))
    return next(new HttpError(400, 'The JSON body must be an object of fields, not a list or a single value. Nothing was done.'));
  next();
}
