// Recognising GraceDB object IDs: event graceids, superevent IDs and versioned file names.
import type { SupereventCategory } from './gracedb.js';

/** Superevent IDs: `S190425z`, `MS190425az`, `TS240101a` (and confirmed ones such as `GW170817A`). */
const SUPEREVENT_ID = /^[MT]?S\d{6}[a-z]+$/;
const CONFIRMED_GW_ID = /^[MT]?GW\d{6}[A-Z]*$/;
/** Event graceids: G (production), M (MDC), T (test), E (external), H (hardware injection) and a number. */
const EVENT_ID = /^[GEHMT]\d+$/;

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
