// GraceDB API handlers for events and superevents: create, replace/update, get, search, and a superevent's members.
import type { Request, RequestHandler } from 'express';
import {
  GraceDbBadRequestError,
  GraceDbNotFoundError,
  isEventId,
  isSupereventId,
  type EmbeddedGraceDb,
  type SupereventCategory,
  type SupereventUpdate,
} from '../../gracedb/index.js';
import { GROUPS, PIPELINES, SEARCHES, knownName } from '../../gracedb/names.js';
import type { WebContext } from '../context.js';
import { apiWrite, fileFields, type Answer } from './api-write.js';
import { apiRoot, booleanField, handle, rawValue, requiredValue, storeFor, value, values } from './api-support.js';
import { eventBodies, eventBody, searchPage } from './serialize.js';

/** The page size of a search when the client names none, and the most one page holds. */
const DEFAULT_COUNT = 10;
const MAX_COUNT = 1000;

function pageOf(req: Request): { start: number; count: number } {
  const number = (name: string, fallback: number, max: number) => {
    const raw = req.query[name];
    if (raw === undefined || raw === '') return fallback;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > max)
      throw new GraceDbBadRequestError(`${name}: a whole number from 0 to ${max} is required`);
    return parsed;
  };
  return { start: number('start', 0, Number.MAX_SAFE_INTEGER), count: Math.max(1, number('count', DEFAULT_COUNT, MAX_COUNT)) };
}

function query(req: Request): { text: string; sort: string | undefined } {
  const text = typeof req.query.query === 'string' ? req.query.query : '';
  const sort = typeof req.query.sort === 'string' && req.query.sort !== '' ? req.query.sort : undefined;
  if (text.length > 1000) throw new GraceDbBadRequestError('query: at most 1000 characters');
  return { text, sort };
}

/** The URL this request was made at, under the API root clients use. */
function requestUrl(req: Request, ctx: WebContext): URL {
  const own = new URL(req.url, 'http://x');
  return new URL(`${own.pathname.replace(/^\/+/, '')}${own.search}`, apiRoot(req, ctx.config));
}

export function eventId(req: Request): string {
  const id = String(req.params.graceid);
  if (!isEventId(id)) throw new GraceDbNotFoundError(`Event ${id} does not exist.`);
  return id;
}

export function supereventId(req: Request): string {
  const id = String(req.params.superevent_id);
  if (!isSupereventId(id)) throw new GraceDbNotFoundError(`Superevent ${id} does not exist.`);
  return id;
}

export function searchEvents(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    const store = storeFor(ctx, req);
    const { text, sort } = query(req);
    const { start, count } = pageOf(req);
    const all = await store.searchEvents(text, { sort });
    const rows = await eventBodies(store, all.slice(start, start + count));
    res.json(searchPage(requestUrl(req, ctx), 'events', rows, all.length, start, count));
  });
}

export function getEvent(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    const store = storeFor(ctx, req);
    res.json(await eventBody(store, await store.getEvent(eventId(req))));
  });
}

export function searchSuperevents(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    const store = storeFor(ctx, req);
    const { text, sort } = query(req);
    const { start, count } = pageOf(req);
    const all = await store.searchSuperevents(text, { sort });
    res.json(searchPage(requestUrl(req, ctx), 'superevents', all.slice(start, start + count), all.length, start, count));
  });
}

export function getSuperevent(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    res.json(await storeFor(ctx, req).getSuperevent(supereventId(req)));
  });
}

function named(list: readonly string[], field: string, given: string | undefined, required: boolean): string | undefined {
  if (given === undefined || given === '') {
    if (required) throw new GraceDbBadRequestError(`${field}: This field is required.`);
    return undefined;
  }
  const name = knownName(list, given);
  if (!name) throw new GraceDbBadRequestError(`${field}: Object with name=${given} does not exist.`);
  return name;
}

function eventFile(req: Request): { filename: string; contents: Buffer } {
  const file = req.multipart?.files.eventFile;
  if (!file) throw new GraceDbBadRequestError('eventFile: No event file was uploaded (multipart/form-data field "eventFile").');
  return { filename: file.filename, contents: file.contents };
}

interface NewEvent {
  group: string;
  pipeline: string;
  search: string | undefined;
  offline: boolean;
  labels: string[];
  filename: string;
  contents: Buffer;
}

async function createdEvent(store: EmbeddedGraceDb, graceid: string, status: number): Promise<Answer> {
  const event = await store.getEvent(graceid);
  // GraceDB's answer to a new event carries the warnings of its upload (none here).
  return { status, body: { ...(await eventBody(store, event)), warnings: [] }, message: `event ${graceid}` };
}

export function createEvent(ctx: WebContext): RequestHandler {
  return apiWrite<NewEvent>(ctx, {
    write: 'event.create',
    forbidden: 'create events',
    check(req) {
      const group = named(GROUPS, 'group', value(req, 'group'), true)!;
      const pipeline = named(PIPELINES, 'pipeline', value(req, 'pipeline'), true)!;
      const search = named(SEARCHES, 'search', value(req, 'search'), false);
      const { filename, contents } = eventFile(req);
      const labels = values(req, 'labels');
      const offline = booleanField(req, 'offline') ?? false;
      return {
        value: { group, pipeline, search, offline, labels, filename, contents },
        fields: { group, pipeline, search: search ?? null, offline, labels, eventFile: fileFields(filename, contents) },
      };
    },
    async act(store, event) {
      const created = await store.createEvent({
        group: event.group,
        pipeline: event.pipeline,
        search: event.search,
        offline: event.offline,
        labels: event.labels,
        filename: event.filename,
        filecontents: event.contents,
      });
      return createdEvent(store, created.graceid, 201);
    },
    replay: (store, _event, written) => {
      if (typeof written !== 'string')
        throw new GraceDbBadRequestError('this Idempotency-Key was used for a request that wrote nothing', 409);
      return createdEvent(store, written, 201);
    },
  });
}

export function replaceEvent(ctx: WebContext): RequestHandler {
  return apiWrite<{ graceid: string; filename: string; contents: Buffer }>(ctx, {
    write: 'event.replace',
    forbidden: 'replace events',
    check(req) {
      const graceid = eventId(req);
      const { filename, contents } = eventFile(req);
      return { value: { graceid, filename, contents }, fields: { graceid, eventFile: fileFields(filename, contents) } };
    },
    async act(store, { graceid, filename, contents }) {
      const event = await store.replaceEvent(graceid, { filename, filecontents: contents });
      return { status: 202, body: await eventBody(store, event), message: `replaced the file of ${graceid}` };
    },
    async replay(store, { graceid }) {
      return { status: 202, body: await eventBody(store, await store.getEvent(graceid)), message: '' };
    },
  });
}

const CATEGORY_CODES: Record<string, SupereventCategory> = {
  p: 'production',
  production: 'production',
  t: 'test',
  test: 'test',
  m: 'mdc',
  mdc: 'mdc',
};

function category(given: unknown): SupereventCategory | undefined {
  if (given === undefined || given === null || given === '') return undefined;
  const found = CATEGORY_CODES[String(given).toLowerCase()];
  if (!found) throw new GraceDbBadRequestError(`category: "${String(given)}" is not a valid choice (P, T, M).`);
  return found;
}

/** A GPS time as GraceDB keeps it: a decimal with 6 places. */
function gpsField(req: Request, name: string, required: boolean): number | undefined {
  const raw = rawValue(req, name);
  if (raw === undefined || raw === null || raw === '') {
    if (required) throw new GraceDbBadRequestError(`${name}: This field is required.`);
    return undefined;
  }
  const number = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(number) || number < 0) throw new GraceDbBadRequestError(`${name}: A valid number is required.`);
  return Math.round(number * 1e6) / 1e6;
}

function listField(req: Request, name: string): string[] {
  const raw = rawValue(req, name);
  if (Array.isArray(raw)) return raw.map(String);
  return values(req, name);
}

interface NewSuperevent {
  t_start: number;
  t_0: number;
  t_end: number;
  preferred_event: string;
  category: SupereventCategory;
  events: string[];
  labels: string[];
}

export function createSuperevent(ctx: WebContext): RequestHandler {
  return apiWrite<NewSuperevent>(ctx, {
    write: 'superevent.create',
    forbidden: 'create superevents',
    check(req) {
      const preferred = rawValue(req, 'preferred_event');
      if (typeof preferred !== 'string' || preferred === '') throw new GraceDbBadRequestError('preferred_event: This field is required.');
      const superevent: NewSuperevent = {
        t_start: gpsField(req, 't_start', true)!,
        t_0: gpsField(req, 't_0', true)!,
        t_end: gpsField(req, 't_end', true)!,
        preferred_event: preferred,
        category: category(rawValue(req, 'category')) ?? 'production',
        events: listField(req, 'events'),
        labels: listField(req, 'labels'),
      };
      return { value: superevent, fields: { ...superevent } };
    },
    async act(store, superevent) {
      const created = await store.createSuperevent(superevent);
      return { status: 201, body: created, message: `superevent ${created.superevent_id}` };
    },
    async replay(store, _superevent, written) {
      if (typeof written !== 'string')
        throw new GraceDbBadRequestError('this Idempotency-Key was used for a request that wrote nothing', 409);
      return { status: 201, body: await store.getSuperevent(written), message: '' };
    },
  });
}

export function updateSuperevent(ctx: WebContext): RequestHandler {
  return apiWrite<{ id: string; update: SupereventUpdate; category?: SupereventCategory }>(ctx, {
    write: 'superevent.update',
    forbidden: 'change superevents',
    check(req) {
      const id = supereventId(req);
      const update: SupereventUpdate = {};
      for (const field of ['t_start', 't_0', 't_end'] as const) {
        const time = gpsField(req, field, false);
        if (time !== undefined) update[field] = time;
      }
      const preferred = rawValue(req, 'preferred_event');
      if (preferred !== undefined && preferred !== null && preferred !== '') update.preferred_event = String(preferred);
      const emType = rawValue(req, 'em_type');
      if (emType !== undefined && emType !== null && emType !== '') update.em_type = String(emType);
      for (const field of ['time_coinc_far', 'space_coinc_far'] as const) {
        const raw = rawValue(req, field);
        if (raw === undefined || raw === '') continue;
        update[field] = raw === null ? (null as unknown as number) : Number(raw);
      }
      return { value: { id, update, category: category(rawValue(req, 'category')) }, fields: { superevent: id, ...update } };
    },
    async act(store, { id, update, category: asked }) {
      const current = await store.getSuperevent(id);
      // gracedb-sdk sends the category guessed from the preferred event with every update: the same one is accepted.
      if (asked && current.category.toLowerCase() !== asked)
        throw new GraceDbBadRequestError("category: a superevent's category cannot be changed.");
      if (Object.keys(update).length === 0) throw new GraceDbBadRequestError('Request would not modify the superevent');
      const updated = await store.updateSuperevent(id, update);
      return { status: 200, body: updated, message: `updated ${id}` };
    },
    async replay(store, { id }) {
      return { status: 200, body: await store.getSuperevent(id), message: '' };
    },
  });
}

function memberEntry(req: Request, ctx: WebContext, id: string, graceid: string) {
  return { self: `${apiRoot(req, ctx.config)}superevents/${id}/events/${graceid}/`, graceid };
}

export function supereventEvents(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    const id = supereventId(req);
    const superevent = await storeFor(ctx, req).getSuperevent(id);
    const events = [...superevent.gw_events, ...superevent.em_events].map((graceid) => memberEntry(req, ctx, id, graceid));
    res.json({ events, numRows: events.length });
  });
}

export function addSupereventEvent(ctx: WebContext): RequestHandler {
  return apiWrite<{ id: string; graceid: string }>(ctx, {
    write: 'superevent.add-event',
    forbidden: 'add events to superevents',
    check(req) {
      const id = supereventId(req);
      const graceid = requiredValue(req, 'event', rawValue(req, 'event'));
      return { value: { id, graceid }, fields: { superevent: id, event: graceid } };
    },
    async act(store, { id, graceid }, req) {
      await store.addEventToSuperevent(id, graceid);
      return { status: 201, body: memberEntry(req, ctx, id, graceid), message: `added ${graceid} to ${id}` };
    },
    async replay(_store, { id, graceid }, _written, req) {
      return { status: 201, body: memberEntry(req, ctx, id, graceid), message: '' };
    },
  });
}

export function removeSupereventEvent(ctx: WebContext): RequestHandler {
  return apiWrite<{ id: string; graceid: string }>(ctx, {
    write: 'superevent.remove-event',
    forbidden: 'remove events from superevents',
    check(req) {
      const id = supereventId(req);
      const graceid = eventId(req);
      return { value: { id, graceid }, fields: { superevent: id, event: graceid } };
    },
    async act(store, { id, graceid }) {
      await store.removeEventFromSuperevent(id, graceid);
      return { status: 204, body: null, message: `removed ${graceid} from ${id}` };
    },
    async replay() {
      return { status: 204, body: null, message: '' };
    },
  });
}

export function pipelinePreferredEvents(ctx: WebContext): RequestHandler {
  return handle(async (req, res) => {
    const entries = await storeFor(ctx, req).getPipelinePreferredEvents(supereventId(req));
    res.json({ pipeline_preferred_events: entries, numRows: entries.length });
  });
}

export function addPipelinePreferredEvent(ctx: WebContext): RequestHandler {
  return apiWrite<{ id: string; graceid: string }>(ctx, {
    write: 'superevent.add-pipeline-preferred',
    forbidden: 'set pipeline-preferred events',
    check(req) {
      const id = supereventId(req);
      const graceid = requiredValue(req, 'event', rawValue(req, 'event'));
      return { value: { id, graceid }, fields: { superevent: id, event: graceid } };
    },
    async act(store, { id, graceid }) {
      const entry = await store.addPipelinePreferredEvent(id, graceid);
      return { status: 201, body: entry, message: `${graceid} pipeline-preferred in ${id}` };
    },
    async replay(store, { id, graceid }) {
      const entry = (await store.getPipelinePreferredEvents(id)).find((candidate) => candidate.graceid === graceid);
      return { status: 201, body: entry ?? null, message: '' };
    },
  });
}
