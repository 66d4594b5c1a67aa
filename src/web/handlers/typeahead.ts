// Typeahead endpoints (GWCelery's paths): superevent IDs by partial ID, a superevent's events, its files by tag.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { dateToGps, GraceDbError, GraceDbNotFoundError, type LogRecord } from '../../gracedb/index.js';
import { keyOf } from '../../redis/keys.js';
import { eventSnr } from '../../tasks/superevent-rules.js';
import { EVENT_ID, SUPEREVENT_ID } from '../../gracedb/id-patterns.js';
import { eventDetectors } from '../../tasks/localization.js';
import type { WebContext } from '../context.js';

const CACHE_SECONDS = 30;
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
export function supereventQuery(term: string, now = new Date()): { query: string; pattern: RegExp } | null {
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
  return { query, pattern: new RegExp(`^${letter}S${digits}\\d{${6 - digits.length}}${suffix}[a-z]*$`) };
}

function queryString(req: Request, name: string): string {
  const value = req.query[name];
  return typeof value === 'string' ? value.trim().slice(0, 100) : '';
}

/** Answers from the 30 s Redis cache, or computes, caches and answers; GraceDB 404 → [], other GraceDB errors → 502. */
function cached(ctx: WebContext, endpoint: string, compute: (req: Request) => Promise<unknown[]>) {
  return async (req: Request, res: Response, next: (error: unknown) => void) => {
    try {
      const cacheKey = keyOf(ctx.config, 'typeahead', endpoint, createHash('sha1').update(JSON.stringify(req.query)).digest('hex'));
      const hit = await ctx.redis.get(cacheKey);
      res.set('Cache-Control', 'no-store');
      if (hit !== null) return res.type('application/json').send(hit);
      let answer: unknown[];
      try {
        answer = await compute(req);
      } catch (error) {
        if (error instanceof GraceDbNotFoundError) answer = [];
        else if (error instanceof GraceDbError)
          return res.status(502).json({ error: `GraceDB answered with an error: ${error.message}`, status: 502 });
        else throw error;
      }
      const body = JSON.stringify(answer);
      await ctx.redis.set(cacheKey, body, 'EX', CACHE_SECONDS);
      res.type('application/json').send(body);
    } catch (error) {
      next(error);
    }
  };
}

/** Superevent IDs for a partial one, in GraceDB's ID order, at most eight (GWCelery's typeahead). */
export function typeaheadSupereventId(ctx: WebContext) {
  return cached(ctx, 'superevent_id', async (req) => {
    const search = supereventQuery(queryString(req, 'superevent_id'));
    if (!search) return [];
    const found = await ctx.gracedb.searchSuperevents(search.query, { sort: 'superevent_id', count: SUPEREVENT_BATCH });
    return found
      .map((superevent) => superevent.superevent_id)
      .filter((id) => search.pattern.test(id))
      .slice(0, MAX_SUPEREVENTS);
  });
}

/** A superevent's events with group, pipeline, SNR and FAR, the most significant (lowest FAR) first. */
export function typeaheadEventId(ctx: WebContext) {
  return cached(ctx, 'event_id', async (req) => {
    const supereventId = queryString(req, 'superevent_id');
    const partial = queryString(req, 'event_id');
    if (!SUPEREVENT_ID.test(supereventId)) return [];
    const superevent = await ctx.gracedb.getSuperevent(supereventId);
    const ids = superevent.gw_events.filter((id) => id.startsWith(partial));
    const events = await Promise.all(ids.map((id) => ctx.gracedb.getEvent(id)));
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
  });
}

export function typeaheadFilename(ctx: WebContext, tag: string, suffixes: string[]) {
  return cached(ctx, `filename:${tag}`, async (req) => {
    const supereventId = queryString(req, 'superevent_id');
    const partial = queryString(req, 'filename');
    if (!SUPEREVENT_ID.test(supereventId)) return [];
    return taggedFiles(await ctx.gracedb.getLogs(supereventId), tag, suffixes, partial);
  });
}

/** `name,version` of the files in a log with this tag and one of these endings, starting with `partial`, newest first. */
function taggedFiles(logs: LogRecord[], tag: string, suffixes: string[], partial: string): string[] {
  const names = logs
    .filter((log) => log.filename && log.tag_names.includes(tag) && suffixes.some((suffix) => log.filename.endsWith(suffix)))
    .sort((a, b) => b.N - a.N)
    .map((log) => `${log.filename},${log.file_version}`)
    .filter((name) => name.startsWith(partial));
  return [...new Set(names)].slice(0, 20);
}

/** An event's multi-order sky maps (tag sky_loc), for copying one to a superevent: `?event_id=G1&filename=bay`. */
export function typeaheadEventSkymapFilename(ctx: WebContext) {
  return cached(ctx, 'event_skymap_filename', async (req) => {
    const eventId = queryString(req, 'event_id');
    if (!EVENT_ID.test(eventId)) return [];
    return taggedFiles(await ctx.gracedb.getLogs(eventId), 'sky_loc', ['.multiorder.fits'], queryString(req, 'filename'));
  });
}

/** The detectors of an event (`?event_id=G1` → ["H1","L1"]), for the checkboxes of the disabled-detectors form. */
export function typeaheadEventDetectors(ctx: WebContext) {
  return cached(ctx, 'event_detectors', async (req) => {
    const eventId = queryString(req, 'event_id');
    if (!EVENT_ID.test(eventId)) return [];
    return eventDetectors(await ctx.gracedb.getEvent(eventId));
  });
}
