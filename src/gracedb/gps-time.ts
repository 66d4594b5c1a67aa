// GPS ↔ UTC conversion with the leap-second table, for dates in superevent IDs and GPS times in event files.

/** GPS time 0 in UTC. */
const GPS_EPOCH_MS = Date.UTC(1980, 0, 6);

/**
 * UTC instants at which GPS − UTC grew by one second (every leap second since the GPS epoch). No leap second
 * has been announced after 2017; append here if the IERS ever announces one.
 */
const LEAP_SECONDS_UTC_MS = [
  Date.UTC(1981, 6, 1),
  Date.UTC(1982, 6, 1),
  Date.UTC(1983, 6, 1),
  Date.UTC(1985, 6, 1),
  Date.UTC(1988, 0, 1),
  Date.UTC(1990, 0, 1),
  Date.UTC(1991, 0, 1),
  Date.UTC(1992, 6, 1),
  Date.UTC(1993, 6, 1),
  Date.UTC(1994, 6, 1),
  Date.UTC(1996, 0, 1),
  Date.UTC(1997, 6, 1),
  Date.UTC(1999, 0, 1),
  Date.UTC(2006, 0, 1),
  Date.UTC(2009, 0, 1),
  Date.UTC(2012, 6, 1),
  Date.UTC(2015, 6, 1),
  Date.UTC(2017, 0, 1),
];

/** The same instants on the GPS time scale (seconds), where the offset already includes that leap second. */
const LEAP_SECONDS_GPS = LEAP_SECONDS_UTC_MS.map((utcMs, index) => (utcMs - GPS_EPOCH_MS) / 1000 + index + 1);

/** GPS − UTC in seconds at a UTC instant. */
function offsetAtUtc(utcMs: number): number {
  let offset = 0;
  for (const leap of LEAP_SECONDS_UTC_MS) if (utcMs >= leap) offset += 1;
  return offset;
}

/** GPS − UTC in seconds at a GPS time. */
function offsetAtGps(gps: number): number {
  let offset = 0;
  for (const leap of LEAP_SECONDS_GPS) if (gps >= leap) offset += 1;
  return offset;
}

/** The UTC instant of a GPS time in seconds (fractions kept to the millisecond). */
export function gpsToDate(gps: number): Date {
  if (!Number.isFinite(gps)) throw new RangeError(`not a GPS time: ${gps}`);
  return new Date(GPS_EPOCH_MS + (gps - offsetAtGps(gps)) * 1000);
}

/** The GPS time in seconds of a UTC instant. */
export function dateToGps(date: Date): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('not a valid date');
  return (ms - GPS_EPOCH_MS) / 1000 + offsetAtUtc(ms);
}

/** GraceDB's `created` format, `2024-01-01 12:00:00 UTC`. */
export const GRACEDB_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/;

/** A time as GraceDB's records write it: UTC to the second, `YYYY-MM-DD HH:MM:SS UTC`. */
export function graceDbTime(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** GraceDB's `created` (or an ISO 8601 time, as the embedded store wrote before) as a Date; Invalid Date otherwise. */
export function parseGraceDbTime(text: string): Date {
  return GRACEDB_TIME.test(text) ? new Date(`${text.slice(0, 19).replace(' ', 'T')}Z`) : new Date(text);
}
