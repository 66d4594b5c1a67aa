// Superevent IDs as GraceDB forms them: category prefix, UTC date of t_0 and a per-date letter suffix.
import { gpsToDate } from './gps-time.js';
import type { SupereventCategory } from './gracedb.js';

const CATEGORY_PREFIX: Record<SupereventCategory, string> = { production: 'S', test: 'TS', mdc: 'MS' };

/**
 * The letter suffix of the n-th superevent of a date (n from 1): a…z, aa…az, ba…zz, aaa… — bijective base 26,
 * so that no suffix repeats and none is skipped.
 */
export function supereventSuffix(n: number): string {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`superevent suffix number must be a whole number ≥ 1 (got ${n})`);
  let suffix = '';
  let rest = n;
  while (rest > 0) {
    const digit = (rest - 1) % 26;
    suffix = String.fromCharCode(97 + digit) + suffix;
    rest = Math.floor((rest - 1) / 26);
  }
  return suffix;
}

/** `YYMMDD` of a GPS time, in UTC. */
export function supereventDate(t0: number): string {
  const date = gpsToDate(t0);
  const yy = String(date.getUTCFullYear() % 100).padStart(2, '0');
  const mm = String(date.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(date.getUTCDate()).padStart(2, '0');
  return `${yy}${mm}${dd}`;
}

/** `S`, `TS` or `MS` followed by the date of t_0: the part of the ID shared by that date's superevents. */
export function supereventIdStem(category: SupereventCategory, t0: number): string {
  return CATEGORY_PREFIX[category] + supereventDate(t0);
}

export function formatSupereventId(category: SupereventCategory, t0: number, n: number): string {
  return supereventIdStem(category, t0) + supereventSuffix(n);
}

/**
 * GraceDB's ID order: by prefix and date, then by suffix as it counts up (z before aa), so a date's superevents come in
 * the order they were made. A plain string sort would put `aa` between `a` and `b`.
 */
export function compareSupereventIds(a: string, b: string): number {
  const split = (id: string) => /^(.*?\d{6})([a-z]*)$/.exec(id) ?? [id, id, ''];
  const [, stemA, suffixA] = split(a);
  const [, stemB, suffixB] = split(b);
  if (stemA !== stemB) return stemA < stemB ? -1 : 1;
  if (suffixA.length !== suffixB.length) return suffixA.length - suffixB.length;
  return suffixA < suffixB ? -1 : suffixA > suffixB ? 1 : 0;
}
