// Reads the embedded GraceDB's Redis hashes and turns them into records shaped like GraceDB's JSON.
import { sentTogether } from '../redis/together.js';
import type { Redis } from 'ioredis';
import type { EmbeddedKeys } from './embedded-keys.js';
import { isSupereventId } from './id-patterns.js';
import { graceDbTime, parseGraceDbTime } from './gps-time.js';
import {
  CATEGORY_DISPLAY,
  type EventRecord,
  type ExtraAttributes,
  type LogRecord,
  type PipelinePreferredEventEntry,
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
  /** Written as GraceDB writes it; events stored before were ISO 8601, which records show the same way. */
  created: string;
  submitter: string;
  extra_attributes: ExtraAttributes;
  /** Absent in events stored before these fields were kept. */
  nevents?: number | null;
  likelihood?: number | null;
}

/** The fields of a superevent that never change after creation. */
export interface StoredSuperevent {
  superevent_id: string;
  category: SupereventCategory;
  created: string;
  submitter: string;
}

/** A log entry as stored: N is its position in the list, and the links follow from where it is. */
export type StoredLog = Omit<LogRecord, 'N' | 'self' | 'tags' | 'file'>;

/** GraceDB's time format for whatever a record stored (older entries kept ISO 8601). */
function shownTime(stored: string): string {
  const date = parseGraceDbTime(stored);
  return Number.isNaN(date.getTime()) ? stored : graceDbTime(date);
}

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
  em_type: string | null;
  time_coinc_far: number | null;
  space_coinc_far: number | null;
  labels: string[];
}

function optionalNumber(value: string | undefined): number | null {
  return value === undefined || value === '' ? null : Number(value);
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
    const replies = await this.hashesAndLabels(graceids, (graceid) => this.keys.event(graceid));
    return replies.map(([hash, labels]) => {
      if (!hash.data) return undefined;
      return {
        ...(JSON.parse(hash.data) as StoredEvent),
        seq: Number(hash.seq),
        superevent: hash.superevent ?? null,
        labels,
      };
    });
  }

  async supereventFacts(ids: string[]): Promise<(SupereventFacts | undefined)[]> {
    const replies = await this.hashesAndLabels(ids, (id) => this.keys.superevent(id));
    return replies.map(([hash, labels]) => {
      if (!hash.data) return undefined;
      return {
        ...(JSON.parse(hash.data) as StoredSuperevent),
        seq: Number(hash.seq),
        t_start: Number(hash.t_start),
        t_0: Number(hash.t_0),
        t_end: Number(hash.t_end),
        preferred_event: hash.preferred_event,
        em_type: hash.em_type || null,
        time_coinc_far: optionalNumber(hash.time_coinc_far),
        space_coinc_far: optionalNumber(hash.space_coinc_far),
        labels,
      };
    });
  }

  /**
   * Each record's hash and its labels, all asked at once (one round trip). Plain commands, not an ioredis pipeline():
   * building one on a connection that carries BullMQ's scripts copies each of them onto it, which cost the form's
   * look-up 0.12–0.19 ms of CPU against 0.06–0.07 ms for the same commands sent together (docs/performance.md).
   */
  private hashesAndLabels(ids: string[], hashKey: (id: string) => string): Promise<[Record<string, string>, string[]][]> {
    return Promise.all(
      sentTogether(this.redis, () =>
        ids.map((id) => Promise.all([this.redis.hgetall(hashKey(id)), this.redis.zrange(this.keys.labels(id), 0, -1)])),
      ),
    );
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
      // The embedded GraceDB has no external users to show a FAR floor to.
      far_is_upper_limit: false,
      nevents: facts.nevents ?? null,
      likelihood: facts.likelihood ?? null,
      instruments: facts.instruments,
      offline: facts.offline,
      labels: facts.labels,
      superevent: facts.superevent,
      created: shownTime(facts.created),
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

  /**
   * Pipeline → graceid of each superevent's pipeline-preferred events. The preferred event is always its pipeline's
   * (superevents stored before the list was kept have only that one).
   */
  async pipelinePreferred(facts: SupereventFacts[], preferred: (EventFacts | undefined)[]): Promise<Record<string, string>[]> {
    const hashes = await Promise.all(facts.map((superevent) => this.redis.hgetall(this.keys.pipelinePreferred(superevent.superevent_id))));
    return hashes.map((hash, index) => {
      const own = preferred[index];
      return own ? { ...hash, [own.pipeline]: own.graceid } : { ...hash };
    });
  }

  /** An entry of a pipeline-preferred event list, as GraceDB's list answers it. */
  pipelinePreferredEntry(graceid: string): PipelinePreferredEventEntry {
    return { self: `${this.apiUrl}events/${graceid}`, graceid };
  }

  /** Whole superevent records: members split into GW and external events, the preferred event embedded. */
  async supereventRecords(facts: SupereventFacts[]): Promise<SupereventRecord[]> {
    if (facts.length === 0) return [];
    const members = await Promise.all(
      facts.map((superevent) =>
        Promise.all([
          this.redis.zrange(this.keys.supereventEvents(superevent.superevent_id), 0, -1),
          this.redis.zrange(this.keys.supereventEmEvents(superevent.superevent_id), 0, -1),
        ]),
      ),
    );
    const preferred = await this.eventFacts(facts.map((superevent) => superevent.preferred_event));
    const byPipeline = await this.pipelinePreferred(facts, preferred);
    const named = [...new Set(byPipeline.flatMap((entries) => Object.values(entries)))];
    const namedFacts = new Map(
      (await this.eventFacts(named)).flatMap((event): [string, EventFacts][] => (event ? [[event.graceid, event]] : [])),
    );
    return facts.map((superevent, index) => {
      const preferredFacts = preferred[index];
      const preferredRecord = preferredFacts ? this.eventRecord(preferredFacts) : undefined;
      const pipelinePreferred: Record<string, EventRecord> = {};
      for (const [pipelineName, graceid] of Object.entries(byPipeline[index]).sort(([a], [b]) => a.localeCompare(b))) {
        const event = namedFacts.get(graceid);
        if (event) pipelinePreferred[pipelineName] = this.eventRecord(event);
      }
      const self = `${this.apiUrl}superevents/${superevent.superevent_id}/`;
      return {
        superevent_id: superevent.superevent_id,
        gw_id: null,
        category: CATEGORY_DISPLAY[superevent.category],
        created: shownTime(superevent.created),
        submitter: superevent.submitter,
        preferred_event: superevent.preferred_event,
        em_type: superevent.em_type,
        t_start: superevent.t_start,
        t_0: superevent.t_0,
        t_end: superevent.t_end,
        gw_events: members[index][0],
        em_events: members[index][1],
        far: preferredRecord?.far ?? null,
        time_coinc_far: superevent.time_coinc_far,
        space_coinc_far: superevent.space_coinc_far,
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
        pipeline_preferred_events: pipelinePreferred,
      };
    });
  }

  /** A stored log entry as GraceDB answers it: its N, its time in GraceDB's format, and its links. */
  logRecord(objectId: string, n: number, stored: StoredLog): LogRecord {
    const superevent = isSupereventId(objectId);
    const self = superevent ? `${this.apiUrl}superevents/${objectId}/logs/${n}/` : `${this.apiUrl}events/${objectId}/log/${n}`;
    const hasFile = stored.filename !== '' && stored.file_version !== null;
    return {
      N: n,
      ...stored,
      created: shownTime(stored.created),
      self,
      tags: superevent ? `${self}tags/` : `${self}/tag/`,
      file: hasFile ? this.fileUrl(objectId, `${stored.filename},${stored.file_version}`) : null,
    };
  }

  /** The URL of an event (`events/G1`) or a superevent (`superevents/S1/`), which sub-resources extend. */
  objectUrl(objectId: string): string {
    return isSupereventId(objectId) ? `${this.apiUrl}superevents/${objectId}/` : `${this.apiUrl}events/${objectId}/`;
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
