// Request bodies are read as UTF-8 only: a body that declares another charset gets 415 rather than being decoded into something its checks never saw.
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
