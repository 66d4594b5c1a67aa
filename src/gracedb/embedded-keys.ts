// Redis key names of the embedded GraceDB; all share the caller's prefix (e.g. `{gwqueue}`) and so one Cluster slot.
import type { SupereventCategory } from './gracedb.js';

export type EmbeddedKeys = ReturnType<typeof embeddedKeys>;

export function embeddedKeys(prefix: string) {
  const root = `${prefix}:gracedb`;
  return {
    /** INCR counter behind every event graceid, whatever its letter, as in GraceDB. */
    eventSequence: `${root}:event-seq`,
    /** HASH: `data` (JSON of the fixed fields), `seq`, and `superevent` once the event joins one. */
    event: (graceid: string) => `${root}:event:${graceid}`,
    /** ZSET graceid → seq: every event in creation order. */
    events: `${root}:events`,
    /** ZSET graceid → gpstime, for `gpstime: a .. b` searches. */
    eventsByGpstime: `${root}:events:by-gpstime`,
    supereventSequence: `${root}:superevent-seq`,
    /** INCR counter of the suffixes handed out for one date and category. */
    supereventSuffixCounter: (category: SupereventCategory, date: string) => `${root}:superevent-suffix:${category}:${date}`,
    /** HASH: `data` (JSON of the fixed fields), `seq`, `t_start`, `t_0`, `t_end`, `preferred_event`. */
    superevent: (id: string) => `${root}:superevent:${id}`,
    /** ZSET superevent ID → seq. */
    superevents: `${root}:superevents`,
    /** ZSET superevent ID → t_0, for `t_0: a .. b` searches (what superevent grouping asks). */
    supereventsByT0: `${root}:superevents:by-t0`,
    /** ZSET graceid → order counter value when added: the superevent's gravitational-wave events (`gw_events`). */
    supereventEvents: (id: string) => `${root}:superevent:${id}:events`,
    /** ZSET graceid → order counter value when added: its external (group External) events (`em_events`). */
    supereventEmEvents: (id: string) => `${root}:superevent:${id}:em-events`,
    /** HASH pipeline → graceid: the superevent's pipeline-preferred events (its preferred event's pipeline included). */
    pipelinePreferred: (id: string) => `${root}:superevent:${id}:pipeline-preferred`,
    /** ZSET label → order counter value when applied, for an event or a superevent. */
    labels: (objectId: string) => `${root}:labels:${objectId}`,
    /**
     * INCR counter that scores labels and superevent members (their ZSETs) rather than the clock: they list in the order
     * they were applied even within one millisecond.
     */
    order: `${root}:order-seq`,
    /** LIST of log entries as JSON; an entry's N is its position from 1, so RPUSH hands out N atomically. */
    logs: (objectId: string) => `${root}:logs:${objectId}`,
    /** HASH file name → number of versions uploaded. */
    fileVersions: (objectId: string) => `${root}:file-versions:${objectId}`,
    /** LIST of VOEvent entries as JSON; an entry's N is its position from 1 (its file is `{id}-{N}-{Type}.xml`). */
    voevents: (objectId: string) => `${root}:voevents:${objectId}`,
    /** HASH `{signoff_type}:{instrument}` → the sign-off as JSON (one per type and instrument, the latest kept). */
    signoffs: (supereventId: string) => `${root}:signoffs:${supereventId}`,
    /** STRING: the bytes of one file version. */
    file: (objectId: string, name: string, version: number) => `${root}:file:${objectId}:${name},${version}`,
  };
}
