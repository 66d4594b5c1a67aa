// GraceDb kept in Redis: the default, so that the whole pipeline runs offline with GraceDB's IDs and records.
import type { Redis } from 'ioredis';
import { EmbeddedAnnotations } from './embedded-annotations.js';
import { embeddedKeys, type EmbeddedKeys } from './embedded-keys.js';
import { EmbeddedRecords, unwrap, type StoredEvent, type StoredLog, type StoredSuperevent } from './embedded-records.js';
import { eventMatches, parseQuery, rangeOn, sortFacts, supereventMatches } from './embedded-search.js';
import { GraceDbBadRequestError, GraceDbNotFoundError } from './errors.js';
import { EventFileError, summariseEventFile } from './event-file.js';
import type {
  CreateEventInput,
  CreateSupereventInput,
  EventRecord,
  GraceDb,
  LogRecord,
  SearchOptions,
  SupereventCategory,
  SupereventRecord,
  SupereventUpdate,
  WriteLogOptions,
} from './gracedb.js';
import { eventCategory, isSupereventId } from './id-patterns.js';
import { ADD_EVENT, CREATE_SUPEREVENT, UPDATE_SUPEREVENT } from './embedded-scripts.js';
import { formatSupereventId, supereventDate } from './superevent-ids.js';

export interface EmbeddedStoreOptions {
  /** Name in `submitter` and log `issuer` fields (default `gwqueue`). */
  submitter?: string;
  /** Largest accepted upload, event files and log files alike (default 5 MiB). */
  maxFileBytes?: number;
  /** Root of the links in records (default `https://gracedb.invalid/api/`: these records live in no web server). */
  apiUrl?: string;
  /**
   * Called, and awaited, after each new event is stored — what GraceDB's LVAlert "new" message is to GWCelery.
   * Its errors propagate to the createEvent caller (the event stays created).
   */
  onEventCreated?: (event: EventRecord) => Promise<void> | void;
}

const CATEGORIES: SupereventCategory[] = ['production', 'test', 'mdc'];

/** External triggers are `E` even when they are mock (MDC) GRBs, so that operators tell them from GW events at a glance. */
function graceidLetter(group: string, search: string | null): string {
  if (group === 'Test') return 'T';
  if (group === 'External') return 'E';
  if (search === 'MDC') return 'M';
  return 'G';
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new GraceDbBadRequestError(`${field}: this field is required`);
  return value;
}

function requireGps(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new GraceDbBadRequestError(`${field}: a GPS time in seconds is required`);
  return value;
}

export class EmbeddedGraceDb implements GraceDb {
  private readonly keys: EmbeddedKeys;
  private readonly records: EmbeddedRecords;
  private readonly annotations: EmbeddedAnnotations;
  private readonly submitter: string;
  private readonly onEventCreated?: (event: EventRecord) => Promise<void> | void;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    options: EmbeddedStoreOptions = {},
  ) {
    this.keys = embeddedKeys(prefix);
    this.submitter = options.submitter ?? 'gwqueue';
    this.records = new EmbeddedRecords(redis, this.keys, options.apiUrl ?? 'https://gracedb.invalid/api/');
    this.annotations = new EmbeddedAnnotations(redis, this.keys, this.records, {
      submitter: this.submitter,
      maxFileBytes: options.maxFileBytes ?? 5 * 1024 * 1024,
    });
    this.onEventCreated = options.onEventCreated;
  }

  async getEvent(graceid: string): Promise<EventRecord> {
    const [facts] = await this.records.eventFacts([graceid]);
    if (!facts) throw new GraceDbNotFoundError(`no event ${graceid} in the embedded GraceDB`);
    return this.records.eventRecord(facts);
  }

  async searchEvents(query: string, options: SearchOptions = {}): Promise<EventRecord[]> {
    const terms = parseQuery(query, 'event');
    const range = rangeOn(terms, 'gpstime');
    const superevent = terms.find((term) => term.kind === 'superevent');
    let candidates: string[];
    if (range) candidates = await this.redis.zrangebyscore(this.keys.eventsByGpstime, range.from, range.to);
    else if (superevent?.kind === 'superevent') candidates = await this.supereventMembers(superevent.id);
    else candidates = await this.redis.zrange(this.keys.events, 0, -1);
    const facts = (await this.records.eventFacts(candidates))
      .filter((event) => event !== undefined)
      .filter((event) => eventMatches(event, terms));
    return page(sortFacts(facts, options.sort, 'event'), options).map((event) => this.records.eventRecord(event));
  }

  async createEvent(input: CreateEventInput): Promise<EventRecord> {
    const group = requireText(input.group, 'group');
    const pipeline = requireText(input.pipeline, 'pipeline');
    const search = input.search === undefined || input.search === '' ? null : requireText(input.search, 'search');
    const labels = input.labels ?? [];
    labels.forEach((label) => this.annotations.validateLabel(label));
    const bytes = this.annotations.fileBytes(input.filename, input.filecontents);
    let summary;
    try {
      summary = summariseEventFile(input.filename, bytes);
    } catch (error) {
      if (error instanceof EventFileError) throw new GraceDbBadRequestError(error.message);
      throw error;
    }
    const seq = await this.redis.incr(this.keys.eventSequence);
    const lastLabel = labels.length > 0 ? await this.redis.incrby(this.keys.order, labels.length) : 0;
    const graceid = graceidLetter(group, search) + String(seq).padStart(4, '0');
    const stored: StoredEvent = {
      graceid,
      group,
      pipeline,
      search,
      ...summary,
      offline: input.offline ?? false,
      created: new Date().toISOString(),
      submitter: this.submitter,
    };
    const originalData: StoredLog = this.annotations.entry('Original Data', { filename: input.filename, version: 0 });
    const transaction = this.redis
      .multi()
      .hset(this.keys.event(graceid), 'data', JSON.stringify(stored), 'seq', seq)
      .zadd(this.keys.events, seq, graceid)
      .hset(this.keys.fileVersions(graceid), input.filename, 1)
      .set(this.keys.file(graceid, input.filename, 0), bytes)
      .rpush(this.keys.logs(graceid), JSON.stringify(originalData));
    if (summary.gpstime !== null) transaction.zadd(this.keys.eventsByGpstime, summary.gpstime, graceid);
    labels.forEach((label, index) => transaction.zadd(this.keys.labels(graceid), 'NX', lastLabel - labels.length + 1 + index, label));
    unwrap(await transaction.exec());
    const event = await this.getEvent(graceid);
    await this.onEventCreated?.(event);
    return event;
  }

  async addEventToSuperevent(supereventId: string, graceid: string): Promise<void> {
    const superevent = await this.supereventFacts(supereventId);
    const event = await this.existingEvent(graceid);
    this.assertCompatible(event, superevent.category);
    const log = this.annotations.entry(`Added event: ${graceid}`);
    const result = await this.redis.eval(
      ADD_EVENT,
      5,
      this.keys.event(graceid),
      this.keys.superevent(supereventId),
      this.memberKey(supereventId, event),
      this.keys.logs(supereventId),
      this.keys.order,
      supereventId,
      graceid,
      JSON.stringify(log),
    );
    if (result === 'missing') throw new GraceDbNotFoundError(`no superevent ${supereventId} in the embedded GraceDB`);
    if (typeof result === 'string' && result.startsWith('assigned:')) throw alreadyAssigned(graceid);
  }

  async getSuperevent(supereventId: string): Promise<SupereventRecord> {
    const [record] = await this.records.supereventRecords([await this.supereventFacts(supereventId)]);
    return record;
  }

  async searchSuperevents(query: string, options: SearchOptions = {}): Promise<SupereventRecord[]> {
    const terms = parseQuery(query, 'superevent');
    const range = rangeOn(terms, 't_0');
    const candidates = range
      ? await this.redis.zrangebyscore(this.keys.supereventsByT0, range.from, range.to)
      : await this.redis.zrange(this.keys.superevents, 0, -1);
    const facts = (await this.records.supereventFacts(candidates))
      .filter((superevent) => superevent !== undefined)
      .filter((superevent) => supereventMatches(superevent, terms));
    return this.records.supereventRecords(page(sortFacts(facts, options.sort, 'superevent'), options));
  }

  async createSuperevent(input: CreateSupereventInput): Promise<SupereventRecord> {
    const t_start = requireGps(input.t_start, 't_start');
    const t_0 = requireGps(input.t_0, 't_0');
    const t_end = requireGps(input.t_end, 't_end');
    const category = input.category ?? 'production';
    if (!CATEGORIES.includes(category)) throw new GraceDbBadRequestError(`category: "${category}" is not one of production, test, mdc`);
    const labels = input.labels ?? [];
    labels.forEach((label) => this.annotations.validateLabel(label));
    const graceids = [...new Set([requireText(input.preferred_event, 'preferred_event'), ...(input.events ?? [])])];
    const events = await Promise.all(graceids.map((graceid) => this.existingEvent(graceid)));
    for (const event of events) {
      if (event.superevent) throw alreadyAssigned(event.graceid);
      this.assertCompatible(event, category);
    }
    // INCR per date and category: concurrent creations on one date each get their own suffix.
    const n = await this.redis.incr(this.keys.supereventSuffixCounter(category, supereventDate(t_0)));
    const id = formatSupereventId(category, t_0, n);
    const seq = await this.redis.incr(this.keys.supereventSequence);
    const stored: StoredSuperevent = { superevent_id: id, category, created: new Date().toISOString(), submitter: this.submitter };
    const log = this.annotations.entry(
      `Superevent created with t_start=${t_start}, t_0=${t_0}, t_end=${t_end}, preferred_event=${graceids[0]}`,
    );
    const result = await this.redis.eval(
      CREATE_SUPEREVENT,
      6 + events.length * 2,
      this.keys.superevent(id),
      this.keys.superevents,
      this.keys.supereventsByT0,
      this.keys.labels(id),
      this.keys.logs(id),
      this.keys.order,
      ...events.flatMap((event) => [this.keys.event(event.graceid), this.memberKey(id, event)]),
      id,
      JSON.stringify(stored),
      t_start,
      t_0,
      t_end,
      graceids[0],
      seq,
      JSON.stringify(log),
      JSON.stringify(labels),
      ...graceids,
    );
    // Another request claimed one of the events between our check and the script; that suffix stays unused.
    if (typeof result === 'string') throw alreadyAssigned(result);
    return this.getSuperevent(id);
  }

  async updateSuperevent(supereventId: string, update: SupereventUpdate): Promise<SupereventRecord> {
    const current = await this.supereventFacts(supereventId);
    const changes: [string, string | number][] = [];
    for (const field of ['t_start', 't_0', 't_end'] as const) {
      const value = update[field];
      if (value !== undefined && requireGps(value, field) !== current[field]) changes.push([field, value]);
    }
    let newPreferred: EventRecord | undefined;
    if (update.preferred_event !== undefined && update.preferred_event !== current.preferred_event) {
      newPreferred = await this.existingEvent(update.preferred_event);
      if (newPreferred.superevent && newPreferred.superevent !== supereventId) throw alreadyAssigned(newPreferred.graceid);
      this.assertCompatible(newPreferred, current.category);
      changes.push(['preferred_event', newPreferred.graceid]);
    }
    // GraceDB answers "Request would not modify the superevent"; the interface treats that as success.
    if (changes.length === 0) return this.getSuperevent(supereventId);
    const described = changes.map(([field, value]) => `${field}: ${current[field as keyof typeof current]} -> ${value}`).join(', ');
    const log = this.annotations.entry(`Updated superevent parameters: ${described}`);
    const result = await this.redis.eval(
      UPDATE_SUPEREVENT,
      6,
      this.keys.superevent(supereventId),
      newPreferred ? this.keys.event(newPreferred.graceid) : this.keys.superevent(supereventId),
      newPreferred ? this.memberKey(supereventId, newPreferred) : this.keys.supereventEvents(supereventId),
      this.keys.supereventsByT0,
      this.keys.logs(supereventId),
      this.keys.order,
      supereventId,
      newPreferred?.graceid ?? '',
      JSON.stringify(log),
      ...changes.flat(),
    );
    if (typeof result === 'string' && result.startsWith('assigned:')) throw alreadyAssigned(newPreferred?.graceid ?? '');
    return this.getSuperevent(supereventId);
  }

  createLabel(label: string, objectId: string): Promise<void> {
    return this.annotations.createLabel(label, objectId);
  }

  removeLabel(label: string, objectId: string): Promise<void> {
    return this.annotations.removeLabel(label, objectId);
  }

  getLogs(objectId: string): Promise<LogRecord[]> {
    return this.annotations.getLogs(objectId);
  }

  writeLog(objectId: string, comment: string, options?: WriteLogOptions): Promise<LogRecord> {
    return this.annotations.writeLog(objectId, comment, options);
  }

  download(filename: string, objectId: string): Promise<Buffer> {
    return this.annotations.download(filename, objectId);
  }

  listFiles(objectId: string): Promise<Record<string, string>> {
    return this.annotations.listFiles(objectId);
  }

  private async supereventFacts(supereventId: string) {
    const [facts] = isSupereventId(supereventId) ? await this.records.supereventFacts([supereventId]) : [undefined];
    if (!facts) throw new GraceDbNotFoundError(`no superevent ${supereventId} in the embedded GraceDB`);
    return facts;
  }

  /** An event that a request names as a field: missing is a bad request there (as in GraceDB), not a 404. */
  private async existingEvent(graceid: string): Promise<EventRecord> {
    try {
      return await this.getEvent(graceid);
    } catch (error) {
      if (error instanceof GraceDbNotFoundError) throw new GraceDbBadRequestError(`Event with graceid=${graceid} does not exist`);
      throw error;
    }
  }

  private async supereventMembers(supereventId: string): Promise<string[]> {
    const [gw, em] = unwrap(
      await this.redis
        .multi()
        .zrange(this.keys.supereventEvents(supereventId), 0, -1)
        .zrange(this.keys.supereventEmEvents(supereventId), 0, -1)
        .exec(),
    ) as string[][];
    return [...gw, ...em];
  }

  private memberKey(supereventId: string, event: EventRecord): string {
    return event.group === 'External' ? this.keys.supereventEmEvents(supereventId) : this.keys.supereventEvents(supereventId);
  }

  private assertCompatible(event: EventRecord, category: SupereventCategory): void {
    // External triggers join any superevent's em_events (a mock GRB goes with an MDC superevent).
    if (event.group === 'External') return;
    const eventKind = eventCategory(event);
    if (eventKind !== category) {
      throw new GraceDbBadRequestError(
        `Event ${event.graceid} is of type '${eventKind}', and cannot be assigned to a superevent of type '${category}'`,
      );
    }
  }
}

function alreadyAssigned(graceid: string): GraceDbBadRequestError {
  return new GraceDbBadRequestError(`Event ${graceid} is already assigned to a Superevent`);
}

function page<T>(items: T[], options: SearchOptions): T[] {
  const start = Math.max(0, options.start ?? 0);
  return options.count === undefined ? items.slice(start) : items.slice(start, start + Math.max(0, options.count));
}
