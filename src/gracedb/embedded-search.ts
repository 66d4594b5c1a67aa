// The embedded GraceDB's query language: the subset of GraceDB's search syntax that tasks and the typeahead use.
//
// Terms are separated by spaces and must all match (AND):
//   events:       gpstime: A .. B   superevent: S190425z   label: NAME   group: / pipeline: / search: NAME
//                 bare group, pipeline or search names (CBC, Test, External, gstlal, MDC, AllSky, …)
//   superevents:  t_0: A .. B   t_start: A .. B   t_end: A .. B   category: production|test|mdc
//                 preferred_event: G1234   label: NAME   id: PREFIX (superevent IDs starting with PREFIX)
//                 bare Production / Test / MDC (category), bare ID prefixes with a digit (S2401, MS1902)
//                 a bare graceid (G1234, T0001): that event
//   both:         bare label names in capitals (EM_READY, ADVOK); a whole superevent ID (S190425z) is that superevent
// Ranges are inclusive, `A .. B` or `A..B`; a single number means exactly that value.
import { GraceDbBadRequestError } from './errors.js';
import type { EventFacts, SupereventFacts } from './embedded-records.js';
import type { SupereventCategory } from './gracedb.js';
import { compareSupereventIds } from './superevent-ids.js';
import { EVENT_ID, SUPEREVENT_ID } from './id-patterns.js';
import { GROUPS, PIPELINES, SEARCHES } from './names.js';

export type RangeField = 'gpstime' | 't_0' | 't_start' | 't_end';
type NameField = 'group' | 'pipeline' | 'search';

export type Term =
  | { kind: 'range'; field: RangeField; from: number; to: number }
  | { kind: 'category'; category: SupereventCategory }
  | { kind: 'superevent'; id: string }
  | { kind: 'preferred_event'; graceid: string }
  | { kind: 'label'; name: string }
  | { kind: 'idPrefix'; prefix: string }
  | { kind: 'graceid'; id: string }
  | { kind: 'supereventId'; id: string }
  | { kind: 'name'; field: NameField; value: string };

export type SearchTarget = 'event' | 'superevent';

const KNOWN_NAMES = new Map<string, NameField>([
  ...GROUPS.map((name) => [name.toLowerCase(), 'group'] as [string, NameField]),
  ...PIPELINES.map((name) => [name.toLowerCase(), 'pipeline'] as [string, NameField]),
  ...SEARCHES.map((name) => [name.toLowerCase(), 'search'] as [string, NameField]),
]);

const CATEGORIES: SupereventCategory[] = ['production', 'test', 'mdc'];
const LABEL = /^[A-Z][A-Z0-9_]*$/;
const KEYED_TERM = /^([A-Za-z_]\w*)\s*:\s*(?:(\S+?)\s*\.\.\s*(\S+)|(\S+))/;

const SUPPORTED: Record<SearchTarget, string> = {
  event:
    'gpstime: A .. B, superevent: ID, label: NAME, group:/pipeline:/search: NAME, bare group/pipeline/search names (e.g. MDC, Test), a bare graceid (e.g. G1234) and bare label names (e.g. EM_READY)',
  superevent:
    't_0:/t_start:/t_end: A .. B, category: production|test|mdc, preferred_event: ID, label: NAME, id: PREFIX, bare Production/Test/MDC, a bare superevent ID (e.g. S190425z), bare ID prefixes (e.g. MS1902) and bare label names (e.g. EM_READY)',
};

function unsupported(target: SearchTarget, term: string, reason?: string): GraceDbBadRequestError {
  const because = reason ? ` (${reason})` : '';
  return new GraceDbBadRequestError(
    `unsupported query term "${term}"${because} in the embedded GraceDB's ${target} search; supported: ${SUPPORTED[target]}`,
  );
}

export function parseQuery(query: string, target: SearchTarget): Term[] {
  const terms: Term[] = [];
  let rest = query.trim();
  while (rest !== '') {
    const keyed = KEYED_TERM.exec(rest);
    const text = keyed ? keyed[0] : /^\S+/.exec(rest)![0];
    terms.push(keyed ? keyedTerm(target, text, keyed[1], keyed[2], keyed[3], keyed[4]) : bareTerm(target, text));
    rest = rest.slice(text.length).trimStart();
  }
  return terms;
}

function keyedTerm(target: SearchTarget, text: string, key: string, from?: string, to?: string, value?: string): Term {
  const rangeFields: RangeField[] = target === 'event' ? ['gpstime'] : ['t_0', 't_start', 't_end'];
  if ((rangeFields as string[]).includes(key)) {
    const low = Number(from ?? value);
    const high = Number(to ?? value);
    if (!Number.isFinite(low) || !Number.isFinite(high)) throw unsupported(target, text, 'ranges take GPS seconds');
    return { kind: 'range', field: key as RangeField, from: Math.min(low, high), to: Math.max(low, high) };
  }
  if (value === undefined) throw unsupported(target, text, `${key} takes no range`);
  if (key === 'label') return { kind: 'label', name: value };
  if (target === 'event') {
    if (key === 'superevent') return { kind: 'superevent', id: value };
    if (key === 'group' || key === 'pipeline' || key === 'search') return { kind: 'name', field: key, value };
  } else {
    if (key === 'category') {
      const category = value.toLowerCase() as SupereventCategory;
      if (!CATEGORIES.includes(category)) throw unsupported(target, text, 'categories are production, test and mdc');
      return { kind: 'category', category };
    }
    if (key === 'preferred_event') return { kind: 'preferred_event', graceid: value };
    if (key === 'id') return { kind: 'idPrefix', prefix: value };
  }
  throw unsupported(target, text);
}

function bareTerm(target: SearchTarget, word: string): Term {
  if (target === 'event') {
    const field = KNOWN_NAMES.get(word.toLowerCase());
    if (field) return { kind: 'name', field, value: word };
    if (EVENT_ID.test(word)) return { kind: 'graceid', id: word };
  } else {
    const category = word.toLowerCase() as SupereventCategory;
    if (CATEGORIES.includes(category)) return { kind: 'category', category };
    if (SUPEREVENT_ID.test(word)) return { kind: 'supereventId', id: word };
    if (/^[MT]?S\d+[a-z]*$/.test(word)) return { kind: 'idPrefix', prefix: word };
  }
  if (LABEL.test(word)) return { kind: 'label', name: word };
  throw unsupported(target, word);
}

/** The first range term on a field, which the store answers from its sorted index instead of a full scan. */
export function rangeOn(terms: Term[], field: RangeField): { from: number; to: number } | undefined {
  const term = terms.find((candidate) => candidate.kind === 'range' && candidate.field === field);
  return term?.kind === 'range' ? { from: term.from, to: term.to } : undefined;
}

export function eventMatches(event: EventFacts, terms: Term[]): boolean {
  return terms.every((term) => {
    switch (term.kind) {
      case 'range':
        return event.gpstime !== null && event.gpstime >= term.from && event.gpstime <= term.to;
      case 'superevent':
        return event.superevent === term.id;
      case 'label':
        return event.labels.includes(term.name);
      case 'name':
        return (event[term.field] ?? '').toLowerCase() === term.value.toLowerCase();
      case 'graceid':
        return event.graceid === term.id;
      default:
        return false;
    }
  });
}

export function supereventMatches(superevent: SupereventFacts, terms: Term[]): boolean {
  return terms.every((term) => {
    switch (term.kind) {
      case 'range':
        return (
          superevent[term.field as Exclude<RangeField, 'gpstime'>] >= term.from &&
          superevent[term.field as Exclude<RangeField, 'gpstime'>] <= term.to
        );
      case 'category':
        return superevent.category === term.category;
      case 'preferred_event':
        return superevent.preferred_event === term.graceid;
      case 'label':
        return superevent.labels.includes(term.name);
      case 'idPrefix':
        return superevent.superevent_id.startsWith(term.prefix);
      case 'supereventId':
        return superevent.superevent_id === term.id;
      default:
        return false;
    }
  });
}

const SORT_FIELDS: Record<SearchTarget, string[]> = {
  event: ['created', 'gpstime', 'far'],
  superevent: ['created', 't_0', 't_start', 't_end', 'superevent_id'],
};

/** Orders facts by a GraceDB-style sort (`-created`, `t_0` …); `created` follows creation order exactly. */
export function sortFacts<T extends { seq: number }>(facts: T[], sort: string | undefined, target: SearchTarget): T[] {
  const spec = sort?.trim() || '-created';
  const descending = spec.startsWith('-');
  const field = descending ? spec.slice(1) : spec;
  if (!SORT_FIELDS[target].includes(field)) {
    throw new GraceDbBadRequestError(
      `cannot sort ${target}s by "${spec}"; use one of ${SORT_FIELDS[target].map((name) => `${name}, -${name}`).join(', ')}`,
    );
  }
  const key = (fact: T): number | null => {
    const value = field === 'created' ? fact.seq : (fact as unknown as Record<string, unknown>)[field];
    return typeof value === 'number' ? value : null;
  };
  if (field === 'superevent_id') {
    const id = (fact: T) => (fact as unknown as { superevent_id: string }).superevent_id;
    return [...facts].sort((a, b) => (descending ? -1 : 1) * compareSupereventIds(id(a), id(b)));
  }
  return [...facts].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    // Missing values (an event without gpstime or FAR) go last whichever the direction.
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const order = x - y || a.seq - b.seq;
    return descending ? -order : order;
  });
}
