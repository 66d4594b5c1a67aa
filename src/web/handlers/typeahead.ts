// Typeahead endpoints (GWCelery's paths): superevent IDs by partial ID, a superevent's events, its files by tag.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { dateToGps, GraceDbError, GraceDbNotFoundError, type LogRecord } from '../../gracedb/index.js';
import { eventSnr } from '../../tasks/superevent-rules.js';
import { EVENT_ID, SUPEREVENT_ID } from '../../gracedb/id-patterns.js';
import { eventDetectors } from '../../tasks/localization.js';
import type { WebContext } from '../context.js';
import { clientAddress } from '../middleware/identity.js';
import { LRUCache } from 'lru-cache';

/** GWCelery's reading of a partial superevent ID: an optional M or T, the S, up to six date digits, letters. */
const PARTIAL_SUPEREVENT = /^([MT]?)S?(\d{0,6})([a-z]*)$/i;
/** At most this many superevent IDs are offered, from a batch of this many asked of GraceDB (GWCelery's numbers). */
const MAX_SUPEREVENTS = 8;
const SUPEREVENT_BATCH = 32;
/** With nothing to go on, the last week's production superevents are offered. */
const RECENT_DAYS = 7;

/**
 * The UTC time range a partial YYMMDD covers (no digits: this century; one: its decade), or null when the partial date
 * is impossible (month 13, 31 June…), so that GraceDB is not asked at all.
 */
export function partialDateRange(digits: string): { from: Date; to: Date } | null {
  if (digits.length === 0) return { from: new Date(Date.UTC(2000, 0, 1)), to: new Date(Date.UTC(2100, 0, 1)) };
  if (digits.length === 1) {
    const decade = 2000 + 10 * Number(digits);
    return { from: new Date(Date.UTC(decade, 0, 1)), to: new Date(Date.UTC(decade + 10, 0, 1)) };
  }
  const year = 2000 + Number(digits.slice(0, 2));
  if (digits.length === 2) return { from: new Date(Date.UTC(year, 0, 1)), to: new Date(Date.UTC(year + 1, 0, 1)) };
  if (digits.length === 3) {
    if (digits[2] > '1') return null;
    const first = digits[2] === '0' ? 1 : 10;
    return { from: new Date(Date.UTC(year, first - 1, 1)), to: new Date(Date.UTC(year, digits[2] === '0' ? 9 : 12, 1)) };
  }
  const month = Number(digits.slice(2, 4));
  if (month < 1 || month > 12) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (digits.length === 4) return { from: new Date(Date.UTC(year, month - 1, 1)), to: new Date(Date.UTC(year, month, 1)) };
  if (digits.length === 5) {
    const tens = Number(digits[4]);
    if (tens * 10 > daysInMonth) return null;
    const firstDay = Math.max(1, tens * 10);
    const lastDay = Math.min(daysInMonth, tens * 10 + 9);
    return { from: new Date(Date.UTC(year, month - 1, firstDay)), to: new Date(Date.UTC(year, month - 1, lastDay + 1)) };
  }
  const day = Number(digits.slice(4, 6));
  if (day < 1 || day > daysInMonth) return null;
  return { from: new Date(Date.UTC(year, month - 1, day)), to: new Date(Date.UTC(year, month - 1, day + 1)) };
}

const CATEGORY_OF_LETTER: Record<string, string> = { '': 'production', M: 'mdc', T: 'test' };

/**
 * The GraceDB query for a partial superevent ID and the pattern its answers must match, or null for an impossible
 * date. A term that does not read as a superevent ID (or none) stands for the last week's production superevents.
 */
export function supereventQuery(term: string, now = new Date()): { query: string; pattern: RegExp; recent: boolean } | null {
  const match = term ? PARTIAL_SUPEREVENT.exec(term) : null;
  let letter = '';
  let digits = '';
  let suffix = '';
  let range: { from: Date; to: Date } | null;
  if (match) {
    [letter, digits, suffix] = [match[1].toUpperCase(), match[2], match[3].toLowerCase()];
    range = partialDateRange(digits);
    if (!range) return null;
  } else {
    range = { from: new Date(now.getTime() - RECENT_DAYS * 86_400_000), to: now };
  }
  // GraceDB's ranges include both ends; the last millisecond before `to` keeps the next day's first superevent out.
  const query = `category: ${CATEGORY_OF_LETTER[letter]} t_0: ${dateToGps(range.from)} .. ${dateToGps(range.to) - 0.001}`;
  return { query, pattern: new RegExp(`^${letter}S${digits}\\d{${6 - digits.length}}${suffix}[a-z]*$`), recent: !match };
}

function queryString(req: Request, name: string): string {
  const value = req.query[name];
  return typeof value === 'string' ? value.trim().slice(0, 100) : '';
}

const CACHE_MS = 30_000;
/** Look-up sources kept per endpoint and console process: what a flood of distinct queries can hold at most. */
const CACHE_ENTRIES = 200;

/**
 * The candidates of recently asked look-up sources (a superevent's events, its files by tag, one date range's
 * superevents), in this process, for 30 s, at most CACHE_ENTRIES, the least recently used leaving first (lru-cache). Kept here
 * and not in Redis: anonymous typeahead requests write nothing to Redis, however many distinct queries they send. The
 * entry is the promise of the look-up, so that requests arriving while GraceDB is asked share one look-up.
 */
class LookupCache {
  private readonly entries = new LRUCache<string, Promise<unknown>>({ max: CACHE_ENTRIES, ttl: CACHE_MS });

  get<C>(key: string, load: () => Promise<C>): Promise<C> {
    const found = this.entries.get(key);
    if (found) return found as Promise<C>;
    const value = load();
    this.entries.set(key, value);
    // A failed look-up is asked again next time (a GraceDB 404 is an answer: load turns it into no candidates).
    value.catch(() => {
      if (this.entries.peek(key) === value) this.entries.delete(key);
    });
    return value;
  }
}

/** Where a request's candidates come from: the source's key (null: nothing to look up) and how to load them. */
interface Lookup<C> {
  source(req: Request): { key: string; load(): Promise<C> } | null;
  /** What of the source's candidates the request asked for (its partial text). */
  pick(candidates: C, req: Request): unknown[];
}

/** No candidates when GraceDB does not know the superevent or event. */
async function orNone<C>(load: Promise<C>, none: C): Promise<C> {
  try {
    return await load;
  } catch (error) {
    if (error instanceof GraceDbNotFoundError) return none;
    throw error;
  }
}

/**
 * Typeahead requests per client address and minute, in this process (express-rate-limit's memory store: nothing in
 * Redis, a count per address seen this minute), shared by all typeahead endpoints of one app.
 */
const limiters = new WeakMap<WebContext, RequestHandler>();
function typeaheadLimit(ctx: WebContext): RequestHandler {
  let limiter = limiters.get(ctx);
  if (!limiter) {
    const limit = ctx.config.auth.typeaheadPerMinute;
    limiter = limit
      ? rateLimit({
          windowMs: 60_000,
          limit,
          standardHeaders: 'draft-7',
          legacyHeaders: false,
          // The address the identity middleware settled on (X-Forwarded-For only from trusted proxies).
          keyGenerator: (req) => clientAddress(req),
          validate: { keyGeneratorIpFallback: false, xForwardedForHeader: false, trustProxy: false, ip: false },
          handler: (_req, res) =>
            res
              .status(429)
              .set('Cache-Control', 'no-store')
              .json({ error: `more than ${limit} typeahead requests a minute from this address; try again in a minute`, status: 429 }),
        })
      : (_req, _res, next) => next();
    limiters.set(ctx, limiter);
  }
  return limiter;
}

/** The look-up from the cache (or GraceDB), then the request's part of it; GraceDB errors other than 404 → 502. */
function cached<C>(ctx: WebContext, lookup: Lookup<C>): RequestHandler[] {
  const cache = new LookupCache();
  const answer = async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.set('Cache-Control', 'no-store');
      const source = lookup.source(req);
      let picked: unknown[];
      try {
        picked = source ? lookup.pick(await cache.get(source.key, source.load), req) : [];
      } catch (error) {
        if (error instanceof GraceDbError)
          return res.status(502).json({ error: `GraceDB answered with an error: ${error.message}`, status: 502 });
        throw error;
      }
      res.json(picked);
    } catch (error) {
      next(error);
    }
  };
  return [typeaheadLimit(ctx), answer];
}

/** Superevent IDs for a partial one, in GraceDB's ID order, at most eight (GWCelery's typeahead). */
export function typeaheadSupereventId(ctx: WebContext) {
  return cached(ctx, {
    source(req) {
      const search = supereventQuery(queryString(req, 'superevent_id'));
      if (!search) return null;
      // The query names the source (a date range, or the last week's); the suffix letters are picked from its answer.
      return {
        key: search.recent ? 'recent' : search.query,
        load: async () =>
          orNone(
            ctx.gracedb
              .searchSuperevents(search.query, { sort: 'superevent_id', count: SUPEREVENT_BATCH })
              .then((found) => found.map((superevent) => superevent.superevent_id)),
            [],
          ),
      };
    },
    pick(ids: string[], req) {
      const search = supereventQuery(queryString(req, 'superevent_id'));
      return search ? ids.filter((id) => search.pattern.test(id)).slice(0, MAX_SUPEREVENTS) : [];
    },
  });
}

interface EventChoice {
  graceid: string;
  group: string;
  pipeline: string;
  search: string | null | undefined;
  snr: number | null;
  far: number | null | undefined;
  preferred: boolean;
}

/** A superevent's events with group, pipeline, SNR and FAR, the most significant (lowest FAR) first. */
export function typeaheadEventId(ctx: WebContext) {
  return cached(ctx, {
    source(req) {
      const supereventId = queryString(req, 'superevent_id');
      if (!SUPEREVENT_ID.test(supereventId)) return null;
      return {
        key: supereventId,
        load: () =>
          orNone(
            (async (): Promise<EventChoice[]> => {
              const superevent = await ctx.gracedb.getSuperevent(supereventId);
              const events = await Promise.all(superevent.gw_events.map((id) => ctx.gracedb.getEvent(id)));
              return events
                .map((event) => ({
                  graceid: event.graceid,
                  group: event.group,
                  pipeline: event.pipeline,
                  search: event.search,
                  snr: eventSnr(event) ?? null,
                  far: event.far,
                  preferred: event.graceid === superevent.preferred_event,
                }))
                .sort((a, b) => (a.far ?? Infinity) - (b.far ?? Infinity) || (b.snr ?? -1) - (a.snr ?? -1));
            })(),
            [],
          ),
      };
    },
    pick: (events: EventChoice[], req) => events.filter((event) => event.graceid.startsWith(queryString(req, 'event_id'))),
  });
}

/** The files with a tag and one of some endings in the logs of a superevent or event (`idParam`), by partial name. */
function taggedFileLookup(ctx: WebContext, idParam: string, idPattern: RegExp, tag: string, suffixes: string[]): Lookup<string[]> {
  return {
    source(req) {
      const id = queryString(req, idParam);
      if (!idPattern.test(id)) return null;
      return {
        key: id,
        load: () =>
          orNone(
            ctx.gracedb.getLogs(id).then((logs) => taggedFiles(logs, tag, suffixes)),
            [],
          ),
      };
    },
    // The last MAX_FILES that match, still in log order: a long log offers its newest files, not its oldest.
    pick: (names, req) => names.filter((name) => name.startsWith(queryString(req, 'filename'))).slice(-MAX_FILES),
  };
}

export function typeaheadFilename(ctx: WebContext, tag: string, suffixes: string[]) {
  return cached(ctx, taggedFileLookup(ctx, 'superevent_id', SUPEREVENT_ID, tag, suffixes));
}

/** At most this many file names are offered. */
const MAX_FILES = 20;

/**
 * `name,version` of the files in a log with this tag and one of these endings, in log order (oldest first), as
 * GWCelery's typeaheads list them: an operator who knows GWCelery looks for the latest version at the bottom.
 */
function taggedFiles(logs: LogRecord[], tag: string, suffixes: string[]): string[] {
  const names = logs
    .filter((log) => log.filename && log.tag_names.includes(tag) && suffixes.some((suffix) => log.filename.endsWith(suffix)))
    .sort((a, b) => a.N - b.N)
    .map((log) => `${log.filename},${log.file_version}`);
  return [...new Set(names)];
}

/** An event's multi-order sky maps (tag sky_loc), for copying one to a superevent: `?event_id=G1&filename=bay`. */
export function typeaheadEventSkymapFilename(ctx: WebContext) {
  return cached(ctx, taggedFileLookup(ctx, 'event_id', EVENT_ID, 'sky_loc', ['.multiorder.fits']));
}

/** The detectors of an event (`?event_id=G1` → ["H1","L1"]), for the checkboxes of the disabled-detectors form. */
export function typeaheadEventDetectors(ctx: WebContext) {
  return cached(ctx, {
    source(req) {
      const eventId = queryString(req, 'event_id');
      if (!EVENT_ID.test(eventId)) return null;
      return { key: eventId, load: () => orNone(ctx.gracedb.getEvent(eventId).then(eventDetectors), []) };
    },
    pick: (detectors) => detectors,
  });
}
