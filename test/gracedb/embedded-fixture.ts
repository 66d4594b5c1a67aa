// Shared set-up for the embedded store tests: a fresh key prefix per store and quick event uploads.
import type { Redis } from 'ioredis';
import { EmbeddedGraceDb, type EmbeddedStoreOptions } from '../../src/gracedb/embedded-store.js';
import type { EventRecord } from '../../src/gracedb/gracedb.js';
import { jsonEvent } from './sample-files.js';

let stores = 0;

/** A store under its own `{…}` prefix, so tests sharing one redis-server never see each other's data. */
export function freshStore(redis: Redis, options: EmbeddedStoreOptions = {}): { store: EmbeddedGraceDb; prefix: string } {
  stores += 1;
  const prefix = `{test-${process.pid}-${stores}}`;
  return { store: new EmbeddedGraceDb(redis, prefix, options), prefix };
}

export function uploadEvent(
  store: EmbeddedGraceDb,
  gpstime: number,
  fields: { group?: string; pipeline?: string; search?: string; labels?: string[]; far?: number } = {},
): Promise<EventRecord> {
  return store.createEvent({
    group: fields.group ?? 'CBC',
    pipeline: fields.pipeline ?? 'gstlal',
    search: fields.search ?? 'AllSky',
    labels: fields.labels,
    filename: 'event.json',
    filecontents: jsonEvent(gpstime, fields.far),
  });
}
