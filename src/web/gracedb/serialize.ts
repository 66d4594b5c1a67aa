// The embedded GraceDB's records in the shapes of GraceDB's REST API: the API root, events with their neighbours, logs, labels, pages.
import type { EmbeddedGraceDb, EventRecord, LogRecord, SupereventRecord } from '../../gracedb/index.js';
import { GROUPS, LABELS, PIPELINES, SEARCHES } from '../../gracedb/names.js';
import { VOEVENT_TYPES, SIGNOFF_INSTRUMENTS, SIGNOFF_STATUSES } from '../../gracedb/embedded-alert-records.js';

/** The API versions GraceDB announces; its clients check theirs against this list. */
export const API_VERSIONS = ['v1', 'v2'];

/**
 * The API root (`GET /gracedb/api/`), which ligo-gracedb reads before anything else: links, URL templates in Python's
 * `{name}` format, and the names it checks requests against.
 */
export function rootDocument(root: string): Record<string, unknown> {
  const event = `${root}events/{graceid}`;
  const superevent = `${root}superevents/{superevent_id}/`;
  return {
    links: {
      events: `${root}events/`,
      superevents: `${root}superevents/`,
      self: root,
    },
    templates: {
      'event-detail-template': event,
      'event-log-template': `${event}/log/`,
      'event-log-detail-template': `${event}/log/{N}`,
      'event-label-template': `${event}/labels/{label}`,
      'files-template': `${event}/files/`,
      'filecontents-template': `${event}/files/{filename}`,
      'taglist-template': `${event}/log/{N}/tag/`,
      'tag-template': `${event}/log/{N}/tag/{tag_name}`,
      'voevent-list-template': `${event}/voevent/`,
      'voevent-detail-template': `${event}/voevent/{N}`,
      'superevent-detail-template': superevent,
      'superevent-event-list-template': `${superevent}events/`,
      'superevent-event-detail-template': `${superevent}events/{graceid}/`,
      'superevent-label-list-template': `${superevent}labels/`,
      'superevent-label-detail-template': `${superevent}labels/{label_name}/`,
      'superevent-log-list-template': `${superevent}logs/`,
      'superevent-log-detail-template': `${superevent}logs/{N}/`,
      'superevent-log-tag-list-template': `${superevent}logs/{N}/tags/`,
      'superevent-log-tag-detail-template': `${superevent}logs/{N}/tags/{tag_name}/`,
      'superevent-file-list-template': `${superevent}files/`,
      'superevent-file-detail-template': `${superevent}files/{file_name}`,
      'superevent-voevent-list-template': `${superevent}voevents/`,
      'superevent-voevent-detail-template': `${superevent}voevents/{N}/`,
      'superevent-signoff-list-template': `${superevent}signoffs/`,
      'superevent-permission-list-template': `${superevent}permissions/`,
      'superevent-permission-modify-template': `${superevent}permissions/modify/`,
    },
    groups: [...GROUPS],
    pipelines: [...PIPELINES],
    searches: [...SEARCHES],
    labels: [...LABELS],
    'superevent-categories': { P: 'Production', T: 'Test', M: 'MDC' },
    'voevent-types': Object.fromEntries(Object.entries(VOEVENT_TYPES).map(([code, name]) => [code, name.toLowerCase()])),
    'signoff-types': { OP: 'operator', ADV: 'advocate' },
    'signoff-statuses': Object.fromEntries(SIGNOFF_STATUSES.map((status) => [status, status === 'OK' ? 'okay' : 'no'])),
    instruments: Object.fromEntries(SIGNOFF_INSTRUMENTS.map((ifo) => [ifo, ifo])),
    'em-groups': [],
    API_VERSIONS,
    'server-version': 'gwqueue embedded GraceDB',
  };
}

/** A superevent as an event's neighbour: what GraceDB shows of it in `superevent_neighbours`. */
function neighbour(superevent: SupereventRecord): Record<string, unknown> {
  return {
    superevent_id: superevent.superevent_id,
    far: superevent.far,
    gw_events: superevent.gw_events,
    preferred_event: superevent.preferred_event,
    t_start: superevent.t_start,
    t_0: superevent.t_0,
    t_end: superevent.t_end,
  };
}

/** The fields of GraceDB's GrbEvent, which an external event's `extra_attributes.GRB` always has (null when unknown). */
export const GRB_FIELDS = [
  'ivorn',
  'author_ivorn',
  'author_shortname',
  'observatory_location_id',
  'coord_system',
  'ra',
  'dec',
  'error_radius',
  'how_description',
  'how_reference_url',
  'T90',
  'trigger_duration',
  'designation',
  'redshift',
  'trigger_id',
] as const;

/** An external event (GraceDB's External group) as GraceDB serializes it: every GrbEvent field, whatever its upload gave. */
function withGrbFields(event: EventRecord): EventRecord {
  if (event.group !== 'External') return event;
  const given = event.extra_attributes.GRB ?? {};
  const GRB = { ...Object.fromEntries(GRB_FIELDS.map((field) => [field, given[field] ?? null])), ...given };
  return { ...event, extra_attributes: { ...event.extra_attributes, GRB } };
}

/** How far from an event's time a superevent's t_0 may be and still have the event in its window. */
const NEIGHBOUR_SPAN = 1000;

/**
 * Events as GraceDB answers them: each with `superevent_neighbours`, the superevents whose window holds its time (and
 * the one it belongs to), looked up once for the whole page.
 */
export async function eventBodies(store: EmbeddedGraceDb, events: EventRecord[]): Promise<Record<string, unknown>[]> {
  const times = events.map((event) => event.gpstime).filter((time): time is number => time !== null);
  const nearby =
    times.length === 0
      ? []
      : await store.searchSuperevents(`t_0: ${Math.min(...times) - NEIGHBOUR_SPAN} .. ${Math.max(...times) + NEIGHBOUR_SPAN}`, {
          sort: 't_0',
        });
  const owners = new Map<string, SupereventRecord>();
  for (const id of new Set(events.map((event) => event.superevent).filter((id): id is string => id !== null))) {
    if (!nearby.some((superevent) => superevent.superevent_id === id)) owners.set(id, await store.getSuperevent(id));
  }
  return events.map((event) => {
    const neighbours: Record<string, unknown> = {};
    for (const superevent of [...nearby, ...owners.values()]) {
      const holds = event.gpstime !== null && superevent.t_start <= event.gpstime && event.gpstime <= superevent.t_end;
      if (holds || superevent.superevent_id === event.superevent) neighbours[superevent.superevent_id] = neighbour(superevent);
    }
    return { ...withGrbFields(event), superevent_neighbours: neighbours };
  });
}

export async function eventBody(store: EmbeddedGraceDb, event: EventRecord): Promise<Record<string, unknown>> {
  return (await eventBodies(store, [event]))[0];
}

/** A log entry as GraceDB answers it: a superevent's has no `tags` link (its tags are at `self` + `tags/`). */
export function logBody(log: LogRecord, superevent: boolean): Record<string, unknown> {
  if (!superevent) return { ...log };
  const { tags: _tags, ...rest } = log;
  return rest;
}

/** A label as GraceDB answers it: who applied it and when, read from the log entry that applied it. */
export function labelBody(self: string, name: string, logs: LogRecord[]): Record<string, unknown> {
  const applied = [...logs].reverse().find((log) => log.comment === `Added label: ${name}`);
  return { name, creator: applied?.issuer ?? null, created: applied?.created ?? null, self };
}

/** One page of a search: `numRows` in all, the page's rows under `key`, links to this page, the next and the last. */
export function searchPage(url: URL, key: string, rows: unknown[], total: number, start: number, count: number): Record<string, unknown> {
  const at = (offset: number) => {
    const link = new URL(url);
    link.searchParams.set('start', String(offset));
    link.searchParams.set('count', String(count));
    return link.toString();
  };
  const last = total === 0 ? 0 : Math.floor((total - 1) / count) * count;
  return {
    start,
    numRows: total,
    links: {
      self: at(start),
      next: start + count < total ? at(start + count) : null,
      previous: start > 0 ? at(Math.max(0, start - count)) : null,
      first: at(0),
      last: at(last),
    },
    [key]: rows,
  };
}
