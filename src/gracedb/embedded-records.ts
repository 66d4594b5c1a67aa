// Reads the embedded GraceDB's Redis hashes and turns them into records shaped like GraceDB's JSON.
import type { Redis } from 'ioredis';
import type { EmbeddedKeys } from './embedded-keys.js';
import { isSupereventId } from './id-patterns.js';
import {
  CATEGORY_DISPLAY,
  type EventRecord,
  type ExtraAttributes,
  type LogRecord,
  type SupereventCategory,
  type SupereventRecord,
} from './gracedb.js';

/** The fields of an event that never change after upload (kept as JSON in the hash's `data`). */
export interface StoredEvent {
  graceid: string;
  group: string;
  pipeline: string;
  search: string | null;
  gpstime: number | null;
  far: number | null;
  instruments: string;
  offline: boolean;
  created: string;
  submitter: string;
  extra_attributes: ExtraAttributes;
}

/** The fields of a superevent that never change after creation. */
export interface StoredSuperevent {
  superevent_id: string;
  category: SupereventCategory;
  created: string;
  submitter: string;
}

/** A log entry as stored: N is not stored but is its position in the list. */
export type StoredLog = Omit<LogRecord, 'N'>;

/** What searches filter and sort on, read without building whole records. */
export interface EventFacts extends StoredEvent {
  seq: number;
  superevent: string | null;
  labels: string[];
}

export interface SupereventFacts extends StoredSuperevent {
  seq: number;
  t_start: number;
  t_0: number;
  t_end: number;
  preferred_event: string;
  labels: string[];
}

export class EmbeddedRecords {
  constructor(
    private readonly redis: Redis,
    private readonly keys: EmbeddedKeys,
    /** Root that links in records point below, e.g. `https://gracedb.invalid/api/`. */
    private readonly apiUrl: string,
  ) {}

  /** Facts of each event, in the order asked; undefined where there is no such event. */
  async eventFacts(graceids: string[]): Promise<(EventFacts | undefined)[]> {
    if (graceids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const graceid of graceids) {
      pipeline.hgetall(this.keys.event(graceid));
      pipeline.zrange(this.keys.labels(graceid), 0, -1);
    }
    const replies = unwrap(await pipeline.exec());
    return graceids.map((_, index) => {
      const hash = replies[index * 2] as Record<string, string>;
      if (!hash.data) return undefined;
      return {
        ...(JSON.parse(hash.data) as StoredEvent),
        seq: Number(hash.seq),
        superevent: hash.superevent ?? null,
        labels: replies[index * 2 + 1] as string[],
      };
    });
  }

  async supereventFacts(ids: string[]): Promise<(SupereventFacts | undefined)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) {
      pipeline.hgetall(this.keys.superevent(id));
      pipeline.zrange(this.keys.labels(id), 0, -1);
    }
    const replies = unwrap(await pipeline.exec());
    return ids.map((_, index) => {
      const hash = replies[index * 2] as Record<string, string>;
      if (!hash.data) return undefined;
      return {
        ...(JSON.parse(hash.data) as StoredSuperevent),
        seq: Number(hash.seq),
        t_start: Number(hash.t_start),
        t_0: Number(hash.t_0),
        t_end: Number(hash.t_end),
        preferred_event: hash.preferred_event,
        labels: replies[index * 2 + 1] as string[],
      };
    });
  }

  eventRecord(facts: EventFacts): EventRecord {
    const self = `${this.apiUrl}events/${facts.graceid}`;
    return {
      graceid: facts.graceid,
      group: facts.group,
      pipeline: facts.pipeline,
      search: facts.search,
      gpstime: facts.gpstime,
      far: facts.far,
      instruments: facts.instruments,
      offline: facts.offline,
      labels: facts.labels,
      superevent: facts.superevent,
      created: facts.created,
      submitter: facts.submitter,
      extra_attributes: facts.extra_attributes,
      links: {
        neighbors: `${self}/neighbors/`,
        log: `${self}/log/`,
        emobservations: `${self}/emobservation/`,
        files: `${self}/files/`,
        labels: `${self}/labels/`,
        self,
        tags: `${self}/tag/`,
      },
    };
  }

  /** Whole superevent records: members split into GW and external events, the preferred event embedded. */
  async supereventRecords(facts: SupereventFacts[]): Promise<SupereventRecord[]> {
    if (facts.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const superevent of facts) {
      pipeline.zrange(this.keys.supereventEvents(superevent.superevent_id), 0, -1);
      pipeline.zrange(this.keys.supereventEmEvents(superevent.superevent_id), 0, -1);
    }
    const members = unwrap(await pipeline.exec()) as string[][];
    const preferred = await this.eventFacts(facts.map((superevent) => superevent.preferred_event));
    return facts.map((superevent, index) => {
      const preferredFacts = preferred[index];
      const preferredRecord = preferredFacts ? this.eventRecord(preferredFacts) : undefined;
      const self = `${this.apiUrl}superevents/${superevent.superevent_id}/`;
      return {
        superevent_id: superevent.superevent_id,
        gw_id: null,
        category: CATEGORY_DISPLAY[superevent.category],
        created: superevent.created,
        submitter: superevent.submitter,
        preferred_event: superevent.preferred_event,
        em_type: null,
        t_start: superevent.t_start,
        t_0: superevent.t_0,
        t_end: superevent.t_end,
        gw_events: members[index * 2],
        em_events: members[index * 2 + 1],
        far: preferredRecord?.far ?? null,
        time_coinc_far: null,
        space_coinc_far: null,
        labels: superevent.labels,
        links: {
          events: `${self}events/`,
          labels: `${self}labels/`,
          logs: `${self}logs/`,
          files: `${self}files/`,
          self,
          voevents: `${self}voevents/`,
          emobservations: `${self}emobservations/`,
        },
        preferred_event_data: preferredRecord,
      };
    });
  }

  fileUrl(objectId: string, versionedName: string): string {
    const kind = isSupereventId(objectId) ? 'superevents' : 'events';
    return `${this.apiUrl}${kind}/${objectId}/files/${encodeURIComponent(versionedName).replace(/%2C/gi, ',')}`;
  }
}

/** Results of a pipeline or MULTI, failing on the first command error (which ioredis reports per command). */
export function unwrap(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new Error('Redis transaction was aborted');
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
