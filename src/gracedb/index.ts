// Entry point of the GraceDB layer: createGraceDb picks the REST client or the embedded store; re-exports the rest.
import type { Redis } from 'ioredis';
import { EmbeddedGraceDb, type EmbeddedStoreOptions } from './embedded-store.js';
import type { EventRecord, GraceDb } from './gracedb.js';
import { GraceDbRestClient } from './rest-client.js';
import type { RetryOptions } from './rest-transport.js';

export * from './errors.js';
export type * from './gracedb.js';
export { dateToGps, gpsToDate } from './gps-time.js';
export { eventCategory, isEventId, isSupereventId } from './id-patterns.js';
export { escapeXml } from './xml-escape.js';
export { EmbeddedGraceDb, type EmbeddedStoreOptions } from './embedded-store.js';
export { GraceDbRestClient } from './rest-client.js';
export type { RetryOptions } from './rest-transport.js';

export interface CreateGraceDbOptions {
  /** GraceDB API root (e.g. `https://gracedb-playground.ligo.org/api/`); unset: the embedded store in Redis. */
  url?: string;
  token?: string;
  basicAuth?: { username: string; password: string };
  retry?: RetryOptions;
  /** Used by the embedded store only. */
  redis: Redis;
  /** Key prefix of the embedded store, e.g. `{gwqueue}` (braces kept: one Redis Cluster slot). */
  prefix: string;
  /** Embedded store only: awaited after each new event, e.g. to enqueue superevent grouping. */
  onEventCreated?: (event: EventRecord) => Promise<void> | void;
  /** Embedded store only: awaited after each label applied, e.g. to enqueue the orchestrator's follow-up. */
  onLabelAdded?: (objectId: string, label: string) => Promise<void> | void;
  /** Embedded store only: submitter name, upload size cap, link root. */
  embedded?: Omit<EmbeddedStoreOptions, 'onEventCreated' | 'onLabelAdded'>;
}

export function createGraceDb(options: CreateGraceDbOptions): GraceDb {
  if (options.url) {
    return new GraceDbRestClient({ url: options.url, token: options.token, basicAuth: options.basicAuth, retry: options.retry });
  }
  return new EmbeddedGraceDb(options.redis, options.prefix, {
    ...options.embedded,
    onEventCreated: options.onEventCreated,
    onLabelAdded: options.onLabelAdded,
  });
}
