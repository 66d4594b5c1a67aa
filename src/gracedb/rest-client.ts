// GraceDb over a real GraceDB's REST API (e.g. https://gracedb-playground.ligo.org/api/).
import { GraceDbBadRequestError, GraceDbNotFoundError } from './errors.js';
import type {
  CreateEventInput,
  CreateSupereventInput,
  EventRecord,
  GraceDb,
  LogRecord,
  PipelinePreferredEventEntry,
  SearchOptions,
  SignoffInput,
  SignoffRecord,
  SupereventCategory,
  SupereventRecord,
  SupereventUpdate,
  VoeventInput,
  VoeventRecord,
  WriteLogOptions,
} from './gracedb.js';
import { isEventId, isSupereventId } from './id-patterns.js';
import { RestTransport, type RequestBody, type RestAuth, type RetryOptions } from './rest-transport.js';

export interface RestClientOptions extends RestAuth {
  /** API root, e.g. `https://gracedb-playground.ligo.org/api/`. */
  url: string;
  retry?: RetryOptions;
}

/** GraceDB's write-side codes for superevent categories (records show the display names). */
const CATEGORY_CODE: Record<SupereventCategory, string> = { production: 'P', test: 'T', mdc: 'M' };

interface Page {
  links?: { next?: string | null };
  [key: string]: unknown;
}

/** A path segment; commas stay literal because GraceDB's versioned file names (`name,1`) are written that way. */
function segment(value: string): string {
  return encodeURIComponent(value).replace(/%2C/gi, ',');
}

function fileBlob(contents: Buffer | string): Blob {
  return new Blob([typeof contents === 'string' ? contents : new Uint8Array(contents)]);
}

/**
 * Event and superevent URLs differ in GraceDB: `events/G1` but `superevents/S1/`, `events/G1/log/` but
 * `superevents/S1/logs/`, `events/G1/labels/X` but `superevents/S1/labels/X/`. This keeps them in one place.
 */
function objectPaths(objectId: string) {
  if (isSupereventId(objectId)) {
    const base = `superevents/${segment(objectId)}/`;
    return {
      kind: 'superevent' as const,
      logs: `${base}logs/`,
      files: `${base}files/`,
      labels: `${base}labels/`,
      label: (name: string) => `${base}labels/${segment(name)}/`,
      voevents: `${base}voevents/`,
    };
  }
  if (isEventId(objectId)) {
    const base = `events/${segment(objectId)}/`;
    return {
      kind: 'event' as const,
      logs: `${base}log/`,
      files: `${base}files/`,
      labels: `${base}labels/`,
      label: (name: string) => `${base}labels/${segment(name)}`,
      voevents: `${base}voevent/`,
    };
  }
  throw new GraceDbNotFoundError(`"${objectId}" is neither an event graceid nor a superevent ID`);
}

export class GraceDbRestClient implements GraceDb {
  private readonly http: RestTransport;

  constructor(options: RestClientOptions) {
    this.http = new RestTransport(options.url, { token: options.token, basicAuth: options.basicAuth }, options.retry);
  }

  async getEvent(graceid: string): Promise<EventRecord> {
    return this.http.json<EventRecord>('GET', this.http.url(`events/${segment(graceid)}`));
  }

  async searchEvents(query: string, options: SearchOptions = {}): Promise<EventRecord[]> {
    return this.collect<EventRecord>('events/', 'events', query, options);
  }

  async createEvent(input: CreateEventInput): Promise<EventRecord> {
    const form = new FormData();
    form.append('group', input.group);
    form.append('pipeline', input.pipeline);
    if (input.search !== undefined) form.append('search', input.search);
    form.append('offline', String(input.offline ?? false));
    for (const label of input.labels ?? []) form.append('labels', label);
    form.append('eventFile', fileBlob(input.filecontents), input.filename);
    return this.http.json<EventRecord>('POST', this.http.url('events/'), { form });
  }

  async addEventToSuperevent(supereventId: string, graceid: string): Promise<void> {
    await this.http.send('POST', this.http.url(`superevents/${segment(supereventId)}/events/`), { json: { event: graceid } });
  }

  async getSuperevent(supereventId: string): Promise<SupereventRecord> {
    return this.http.json<SupereventRecord>('GET', this.http.url(`superevents/${segment(supereventId)}/`));
  }

  async searchSuperevents(query: string, options: SearchOptions = {}): Promise<SupereventRecord[]> {
    return this.collect<SupereventRecord>('superevents/', 'superevents', query, options);
  }

  async createSuperevent(input: CreateSupereventInput): Promise<SupereventRecord> {
    const body: Record<string, unknown> = {
      t_start: input.t_start,
      t_0: input.t_0,
      t_end: input.t_end,
      preferred_event: input.preferred_event,
      category: CATEGORY_CODE[input.category ?? 'production'],
    };
    if (input.labels?.length) body.labels = input.labels;
    if (input.events?.length) body.events = input.events;
    return this.http.json<SupereventRecord>('POST', this.http.url('superevents/'), { json: body });
  }

  async updateSuperevent(supereventId: string, update: SupereventUpdate): Promise<SupereventRecord> {
    const changes = Object.fromEntries(Object.entries(update).filter(([, value]) => value !== undefined));
    if (Object.keys(changes).length === 0) return this.getSuperevent(supereventId);
    try {
      return await this.http.json<SupereventRecord>('PATCH', this.http.url(`superevents/${segment(supereventId)}/`), { json: changes });
    } catch (error) {
      // GraceDB refuses a PATCH that changes nothing; for the caller the superevent is as asked, so that is success.
      if (error instanceof GraceDbBadRequestError && error.serverMessage.includes('Request would not modify the superevent')) {
        return this.getSuperevent(supereventId);
      }
      throw error;
    }
  }

  async getPipelinePreferredEvents(supereventId: string): Promise<PipelinePreferredEventEntry[]> {
    return this.pages<PipelinePreferredEventEntry>(
      this.http.url(`superevents/${segment(supereventId)}/pipeline_preferred_events/`),
      'pipeline_preferred_events',
    );
  }

  async addPipelinePreferredEvent(supereventId: string, graceid: string): Promise<PipelinePreferredEventEntry> {
    return this.http.json<PipelinePreferredEventEntry>(
      'POST',
      this.http.url(`superevents/${segment(supereventId)}/pipeline_preferred_events/`),
      {
        json: { event: graceid },
      },
    );
  }

  async createLabel(label: string, objectId: string): Promise<void> {
    const paths = objectPaths(objectId);
    try {
      if (paths.kind === 'event') await this.http.send('PUT', this.http.url(paths.label(label)));
      else await this.http.send('POST', this.http.url(paths.labels), { json: { name: label } });
    } catch (error) {
      // Labels are idempotent for our callers: a retried task must not fail because its first try got through.
      if (error instanceof GraceDbBadRequestError && /already/i.test(error.serverMessage)) return;
      throw error;
    }
  }

  async removeLabel(label: string, objectId: string): Promise<void> {
    await this.http.send('DELETE', this.http.url(objectPaths(objectId).label(label)));
  }

  async getLogs(objectId: string): Promise<LogRecord[]> {
    return this.pages<LogRecord>(this.http.url(objectPaths(objectId).logs), 'log');
  }

  async writeLog(objectId: string, comment: string, options: WriteLogOptions = {}): Promise<LogRecord> {
    const target = this.http.url(objectPaths(objectId).logs);
    const tags = options.tags ?? [];
    let body: RequestBody;
    if (options.filecontents !== undefined || options.filename !== undefined) {
      if (options.filecontents === undefined || !options.filename) {
        throw new GraceDbBadRequestError('a log file needs both a filename and its contents');
      }
      const form = new FormData();
      form.append('comment', comment);
      form.append('upload', fileBlob(options.filecontents), options.filename);
      for (const tag of tags) form.append('tagname', tag);
      body = { form };
    } else {
      body = { json: { comment, tagname: tags } };
    }
    return this.http.json<LogRecord>('POST', target, body);
  }

  async download(filename: string, objectId: string): Promise<Buffer> {
    const response = await this.http.send('GET', this.http.url(objectPaths(objectId).files + segment(filename)));
    return response.body;
  }

  async listFiles(objectId: string): Promise<Record<string, string>> {
    return (await this.http.json<Record<string, string>>('GET', this.http.url(objectPaths(objectId).files))) ?? {};
  }

  async expose(supereventId: string): Promise<void> {
    await this.http.send('POST', this.http.url(`superevents/${segment(supereventId)}/permissions/modify/`), { json: { action: 'expose' } });
  }

  async getVoevents(objectId: string): Promise<VoeventRecord[]> {
    return this.pages<VoeventRecord>(this.http.url(objectPaths(objectId).voevents), 'voevents');
  }

  async signoff(supereventId: string, input: SignoffInput): Promise<SignoffRecord> {
    return this.http.json<SignoffRecord>('POST', this.http.url(`superevents/${segment(supereventId)}/signoffs/`), { json: input });
  }

  async createVoevent(objectId: string, input: VoeventInput): Promise<VoeventRecord> {
    // GraceDB's request names (its answer names them as VoeventRecord does).
    const names: [keyof VoeventInput, string][] = [
      ['voevent_type', 'voevent_type'],
      ['internal', 'internal'],
      ['open_alert', 'open_alert'],
      ['hardware_inj', 'hardware_inj'],
      ['skymap_type', 'skymap_type'],
      ['skymap_filename', 'skymap_filename'],
      ['coinc_comment', 'CoincComment'],
      ['prob_has_ns', 'ProbHasNS'],
      ['prob_has_remnant', 'ProbHasRemnant'],
      ['prob_bns', 'BNS'],
      ['prob_nsbh', 'NSBH'],
      ['prob_bbh', 'BBH'],
      ['prob_terrestrial', 'Terrestrial'],
      ['prob_mass_gap', 'MassGap'],
      ['significant', 'significant'],
    ];
    const body = Object.fromEntries(
      names.filter(([key]) => input[key] !== undefined && input[key] !== null).map(([key, name]) => [name, input[key]]),
    );
    return this.http.json<VoeventRecord>('POST', this.http.url(objectPaths(objectId).voevents), { json: body });
  }

  private collect<T>(path: string, key: string, query: string, options: SearchOptions): Promise<T[]> {
    const first = this.http.url(path, { query, count: options.count, start: options.start, sort: options.sort });
    return this.pages<T>(first, key, options.count);
  }

  /** Every item of a paginated list, following `links.next` until it runs out or `limit` items are in. */
  private async pages<T>(first: URL, key: string, limit?: number): Promise<T[]> {
    const items: T[] = [];
    const visited = new Set<string>();
    let next: URL | undefined = first;
    while (next && !visited.has(next.href) && (limit === undefined || items.length < limit)) {
      visited.add(next.href);
      const page: Page = await this.http.json<Page>('GET', next);
      const found = page?.[key];
      if (Array.isArray(found)) items.push(...(found as T[]));
      const link = page?.links?.next;
      next = link ? new URL(link, next) : undefined;
    }
    return limit === undefined ? items : items.slice(0, limit);
  }
}
