// GraceDB object IDs, the one home of their patterns: superevents, events, external events, versioned file names.
import type { SupereventCategory } from './gracedb.js';

/** Superevent IDs: `S190425z`, `MS190425az`, `TS240101a`. */
export const SUPEREVENT_ID = /^[MT]?S\d{6}[a-z]+$/;
/** Confirmed superevents, which GraceDB renames: `GW170817A`, `MGW240101`. */
export const CONFIRMED_GW_ID = /^[MT]?GW\d{6}[A-Z]*$/;
/** Event graceids: G (production), M (MDC), T (test), E (external), H (hardware injection) and a number. */
export const EVENT_ID = /^[GEHMT]\d+$/;
/**
 * External events (GRBs, neutrinos, SN triggers): always `E`, mock ones too. GraceDB gives its External group the E
 * letter whatever the search; the embedded store does the same (embedded-store.ts graceidLetter).
 */
export const EXTERNAL_EVENT_ID = /^E\d+$/;
/** Any object GraceDB labels or logs on: an event, a superevent or a confirmed GW. */
export const OBJECT_ID = new RegExp(
  `^(?:${[EVENT_ID, SUPEREVENT_ID, CONFIRMED_GW_ID].map((pattern) => pattern.source.slice(1, -1)).join('|')})$`,
);
/** A file and its version as operators pick them (`bayestar.multiorder.fits,0`): what the update alert takes. */
export const VERSIONED_FILENAME = /^[A-Za-z0-9_.+-]{1,100},\d{1,6}$/;
/**
 * A file of an object named as GraceDB takes it: `name,version`, or `name` alone for its latest version
 * (`bayestar.multiorder.fits`). A name of dots only is refused: unversioned, it would be a path step in a file URL.
 */
export const FILENAME = /^(?!\.+(?:,|$))[A-Za-z0-9_.+-]{1,100}(?:,\d{1,6})?$/;

/** What each kind looks like, for messages ("must look like S240101a"). */
export const ID_EXAMPLES = {
  superevent: 'S240101a',
  event: 'G123456',
  external: 'E123456',
} as const;

export function isSupereventId(id: string): boolean {
  return SUPEREVENT_ID.test(id) || CONFIRMED_GW_ID.test(id);
}

export function isEventId(id: string): boolean {
  return EVENT_ID.test(id);
}

/**
 * The superevent category an event may join, by the same rule as GraceDB: Test group events go to test
 * superevents, MDC-search events to mdc ones, all others to production ones.
 */
export function eventCategory(event: { group: string; search: string | null }): SupereventCategory {
  if (event.group === 'Test') return 'test';
  if (event.search === 'MDC') return 'mdc';
  return 'production';
}

/** Splits `name,3` into name and version; a plain `name` (or a comma not followed by digits) has no version. */
export function splitVersionedFilename(filename: string): { name: string; version: number | undefined } {
  const match = /^(.*),(\d+)$/.exec(filename);
  if (!match) return { name: filename, version: undefined };
  return { name: match[1], version: Number(match[2]) };
}
