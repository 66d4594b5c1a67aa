// The dashboard's task search language: `name:gracedb state:failed S240101a` → field filters and free terms, plus list options.

/** States a task list can be filtered by (the tabs); 'all' means no filter. */
export const TASK_TABS = ['all', 'waiting', 'active', 'delayed', 'completed', 'failed'] as const;
export type TaskTab = (typeof TASK_TABS)[number];

export const TASK_SORTS = ['-time', 'time', '-runtime', 'runtime', 'name', '-name'] as const;
export type TaskSort = (typeof TASK_SORTS)[number];

/** Searchable fields and the one-letter code each has in the search record written by the task index. */
export const SEARCH_FIELDS = { id: 'i', name: 'n', queue: 'q', state: 's', worker: 'w', args: 'a', result: 'r' } as const;
export type SearchField = keyof typeof SEARCH_FIELDS;

export interface SearchTerm {
  /** The field it must be found in, or undefined to match anywhere. */
  field?: SearchField;
  /** Lower-cased text to find (a substring; for `state:` the whole state). */
  text: string;
}

export interface TaskQuery {
  tab: TaskTab;
  terms: SearchTerm[];
  /** Submission time window in ms since the epoch (inclusive); undefined = open. */
  from?: number;
  to?: number;
  sort: TaskSort;
  page: number;
  limit: number;
}

const ALIASES: Record<string, SearchField> = {
  task: 'name',
  uuid: 'id',
  hostname: 'worker',
  kwargs: 'args',
  error: 'result',
  exception: 'result',
};

/** Splits a search string into terms; `"quoted phrases"` stay whole, `field:value` names a field. */
export function parseSearch(input: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  const pattern = /(?:([A-Za-z]+):)?(?:"([^"]*)"|(\S+))/g;
  for (const match of input.slice(0, 500).matchAll(pattern)) {
    const key = match[1]?.toLowerCase();
    const text = (match[2] ?? match[3] ?? '').toLowerCase().replaceAll('\x1f', '');
    const field = key ? ((key in SEARCH_FIELDS ? key : ALIASES[key]) as SearchField | undefined) : undefined;
    if (key && !field) {
      // An unknown prefix (e.g. a URL's "https:") is plain text.
      terms.push({ text: `${key}:${text}` });
      continue;
    }
    if (!text) continue;
    terms.push(field ? { field, text } : { text });
  }
  return terms.slice(0, 20);
}

/** Writes terms back as a search string (for links that keep the search). */
export function formatSearch(terms: SearchTerm[]): string {
  return terms.map((t) => `${t.field ? `${t.field}:` : ''}${/\s/.test(t.text) ? `"${t.text}"` : t.text}`).join(' ');
}

const RANGES: Record<string, number> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};
export const TIME_RANGES = Object.keys(RANGES);

function parseTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  // datetime-local inputs give "2024-01-01T12:00" without a zone: the dashboard shows UTC, so read it as UTC.
  const text = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? `${value}Z` : value;
  const ms = /^\d{10,14}$/.test(value) ? Number(value) : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

export interface RawTaskQuery {
  state?: string;
  q?: string;
  range?: string;
  from?: string;
  to?: string;
  sort?: string;
  page?: string;
  limit?: string;
}

/** Reads a task query from URL parameters, with safe defaults for anything missing or wrong. */
export function taskQueryFrom(raw: RawTaskQuery, now = Date.now()): TaskQuery {
  const tab = (TASK_TABS as readonly string[]).includes(raw.state ?? '') ? (raw.state as TaskTab) : 'all';
  const sort = (TASK_SORTS as readonly string[]).includes(raw.sort ?? '') ? (raw.sort as TaskSort) : '-time';
  const page = Math.min(Math.max(Number.parseInt(raw.page ?? '1', 10) || 1, 1), 10_000);
  const limit = Math.min(Math.max(Number.parseInt(raw.limit ?? '25', 10) || 25, 1), 200);
  let from = parseTime(raw.from);
  const to = parseTime(raw.to);
  if (raw.range && RANGES[raw.range]) from = now - RANGES[raw.range];
  return { tab, terms: parseSearch(raw.q ?? ''), from, to, sort, page, limit };
}

/** The state a query is really about: the tab, or a `state:` term when the tab is "all". */
export function effectiveState(query: TaskQuery): string | undefined {
  if (query.tab !== 'all') return query.tab;
  const states = query.terms.filter((t) => t.field === 'state').map((t) => t.text);
  return states.length === 1 ? states[0] : undefined;
}
