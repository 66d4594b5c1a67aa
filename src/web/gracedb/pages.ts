// The embedded GraceDB's pages for operators, at GraceDB's web paths: recent superevents (searchable), a superevent, an event.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { GraceDbBadRequestError, GraceDbNotFoundError, isEventId, isSupereventId, type EmbeddedGraceDb } from '../../gracedb/index.js';
import { rootOf } from '../middleware/url-prefix.js';
import type { WebContext } from '../context.js';
import { HttpError } from '../middleware/errors.js';
import { storeFor } from './api-support.js';
import { newSubmissionToken } from '../middleware/session.js';

const PAGE_SIZE = 50;
/** Seconds between a record page's reloads in a browser without JavaScript. */
const NO_SCRIPT_REFRESH = 30;

/**
 * GraceDB's errors as the console's error pages (404 unknown ID, 400 a query the store cannot answer). With
 * GRACEDB_URL set the console's GraceDB is that server: its pages are there, and these say so (404).
 */
function page(ctx: WebContext, fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (ctx.gracedbUrl) {
      return next(new HttpError(404, `This console uses the GraceDB at ${ctx.gracedbUrl}; its pages are there.`));
    }
    fn(req, res).catch((error: unknown) => {
      if (error instanceof GraceDbNotFoundError) return next(new HttpError(404, error.message));
      if (error instanceof GraceDbBadRequestError) return next(new HttpError(400, error.serverMessage));
      next(error);
    });
  };
}

async function annotations(store: EmbeddedGraceDb, id: string) {
  const [logs, files, voevents] = await Promise.all([store.getLogs(id), store.listFiles(id), store.alertRecords.getVoevents(id)]);
  return { logs, files: Object.entries(files).filter(([name]) => /,\d+$/.test(name)), voevents };
}

/** `/gracedb/superevents/`: the newest superevents, or those a GraceDB query finds. */
export function supereventList(ctx: WebContext): RequestHandler {
  return page(ctx, async (req, res) => {
    const query = typeof req.query.query === 'string' ? req.query.query.trim().slice(0, 200) : '';
    const start = Math.max(0, Math.min(Number(req.query.start) || 0, 1_000_000));
    const store = storeFor(ctx, req);
    let superevents: Awaited<ReturnType<EmbeddedGraceDb['searchSuperevents']>> = [];
    let problem = '';
    try {
      superevents = await store.searchSuperevents(query, { start, count: PAGE_SIZE + 1 });
    } catch (error) {
      if (!(error instanceof GraceDbBadRequestError)) throw error;
      problem = error.serverMessage;
    }
    res.status(problem ? 400 : 200).render('gracedb/superevents', {
      title: 'Superevents',
      query,
      problem,
      superevents: superevents.slice(0, PAGE_SIZE),
      start,
      next: superevents.length > PAGE_SIZE ? start + PAGE_SIZE : null,
    });
  });
}

export function supereventPage(ctx: WebContext): RequestHandler {
  return page(ctx, async (req, res) => {
    const id = String(req.params.superevent_id);
    if (!isSupereventId(id)) throw new GraceDbNotFoundError(`There is no superevent ${id}.`);
    const store = storeFor(ctx, req);
    const superevent = await store.getSuperevent(id);
    const [more, signoffs, permissions] = await Promise.all([
      annotations(store, id),
      store.alertRecords.getSignoffs(id),
      store.alertRecords.getPermissions(id),
    ]);
    res.render('gracedb/superevent', {
      title: `Superevent ${id}`,
      // Without JavaScript the page reloads itself (with it, console.js swaps in its live region).
      refresh: NO_SCRIPT_REFRESH,
      superevent,
      signoffs,
      exposed: permissions.some((row) => row.group === 'public_users'),
      // The advocate's sign-off form (forms/advocate-signoff.ts) posts with its own one-time token.
      signoffToken: newSubmissionToken(),
      ...more,
    });
  });
}

export function eventPage(ctx: WebContext): RequestHandler {
  return page(ctx, async (req, res) => {
    const id = String(req.params.graceid);
    if (!isEventId(id)) throw new GraceDbNotFoundError(`There is no event ${id}.`);
    const store = storeFor(ctx, req);
    const event = await store.getEvent(id);
    res.render('gracedb/event', { title: `Event ${id}`, refresh: NO_SCRIPT_REFRESH, event, ...(await annotations(store, id)) });
  });
}

/** A GraceDB ID a page mentions, and where its GraceDB page is. */
export interface GraceDbLink {
  id: string;
  href: string;
}

/**
 * Where the GraceDB pages of IDs are: the GraceDB at GRACEDB_URL (its web root, the API path taken off), else this
 * console's embedded GraceDB — none in an app that does not serve its pages (`gwqueue flower` without GRACEDB_URL).
 */
export function gracedbBase(ctx: WebContext, req: Request): string | null {
  if (ctx.gracedbUrl) return ctx.gracedbUrl.replace(/\/api\/?$/, '/').replace(/\/?$/, '/');
  return req.app.locals.gracedbPages === false ? null : `${rootOf(req)}/gracedb/`;
}

/** The GraceDB page of one superevent or event ID below `base` (gracedbBase). */
export const gracedbHref = (base: string, id: string): string => `${base}${isSupereventId(id) ? 'superevents' : 'events'}/${id}/view/`;

/**
 * The superevent and event IDs in a task's arguments and result, linked to their GraceDB pages (gracedbBase). A
 * string is an ID when it is one whole; `inJson` also finds the whole JSON strings in longer strings that are IDs (a
 * dashboard row shows arguments and result as clipped JSON text), by the same rule. At most `limit`, superevents first.
 */
export function gracedbLinks(ctx: WebContext, req: Request, values: unknown[], limit = 8, inJson = false): GraceDbLink[] {
  const base = gracedbBase(ctx, req);
  if (base === null) return [];
  const found = new Set<string>();
  const isId = (word: string) => word.length <= 20 && (isSupereventId(word) || isEventId(word));
  const visit = (value: unknown, depth: number): void => {
    if (found.size >= 50 || depth > 6) return;
    if (typeof value === 'string') {
      if (isId(value)) found.add(value);
      else if (inJson) for (const [, word] of value.slice(0, 2000).matchAll(/"([A-Za-z0-9]{1,20})"/g)) if (isId(word)) found.add(word);
    } else if (Array.isArray(value)) value.forEach((item) => visit(item, depth + 1));
    else if (value && typeof value === 'object') Object.values(value).forEach((item) => visit(item, depth + 1));
  };
  values.forEach((value) => visit(value, 0));
  return [...found]
    .sort((a, b) => Number(isEventId(a)) - Number(isEventId(b)) || a.localeCompare(b))
    .slice(0, limit)
    .map((id) => ({ id, href: gracedbHref(base, id) }));
}
