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
import { eventCategory, isSupereventId } from './id-patterns.js';
import { EmbeddedAlertRecords, type VoeventFacts } from './embedded-alert-records.js';
import { gpsToDate, graceDbTime } from './gps-time.js';
import { evalMarked, takeWriteMark, type MarkRecord } from './embedded-write-mark.js';
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
  /**
   * Called, and awaited, after a label is applied (by createLabel or a sign-off), already there or not — what
   * GraceDB's label_added message is to GWCelery's orchestrator. It must be idempotent: a write made again calls it again.
   */
  onLabelAdded?: (objectId: string, label: string) => Promise<void> | void;
}

const CATEGORIES: SupereventCategory[] = ['production', 'test', 'mdc'];
const CATEGORY_BY_DISPLAY: Record<SupereventRecord['category'], SupereventCategory> = {
  Production: 'production',
  Test: 'test',
  MDC: 'mdc',
};

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

/** The facts of an event file, or GraceDB's 400 when the file cannot be read as its kind (nothing is written then). */
function summariseOrRefuse(filename: string, bytes: Buffer): ReturnType<typeof summariseEventFile> {
  try {
    return summariseEventFile(filename, bytes);
  } catch (error) {
    if (error instanceof EventFileError) throw new GraceDbBadRequestError(error.message);
    throw error;
  }
}

export class EmbeddedGraceDb implements GraceDb {
  private readonly keys: EmbeddedKeys;
  private readonly records: EmbeddedRecords;
  private readonly annotations: EmbeddedAnnotations;
  private readonly submitter: string;
  /** VOEvents, exposure and sign-offs: served by the console's GraceDB API, not part of the GraceDb interface. */
  readonly alertRecords: EmbeddedAlertRecords;
  private readonly onEventCreated?: (event: EventRecord) => Promise<void> | void;
  private readonly onLabelAdded?: (objectId: string, label: string) => Promise<void> | void;

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
    this.onLabelAdded = options.onLabelAdded;
    this.alertRecords = new EmbeddedAlertRecords(redis, this.keys, this.records, this.annotations, this.submitter, options.onLabelAdded);
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
    const named = terms.find((term) => term.kind === 'graceid');
    let candidates: string[];
    if (named?.kind === 'graceid') candidates = [named.id];
    else if (range) candidates = await this.redis.zrangebyscore(this.keys.eventsByGpstime, range.from, range.to);
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
    const summary = summariseOrRefuse(input.filename, bytes);
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
      created: graceDbTime(),
      submitter: this.submitter,
    };
    const originalData: StoredLog = this.annotations.entry('Original Data', { filename: input.filename, version: 0 });
    const created = await evalMarked(
      this.redis,
      'gracedb-create-event',
      [
        this.keys.event(graceid),
        this.keys.events,
        this.keys.fileVersions(graceid),
        this.keys.file(graceid, input.filename, 0),
        this.keys.logs(graceid),
        this.keys.eventsByGpstime,
        this.keys.labels(graceid),
      ],
      [
        graceid,
        JSON.stringify(stored),
        seq,
        input.filename,
        bytes,
        JSON.stringify(originalData),
        summary.gpstime ?? '',
        ...labels.flatMap((label, index) => [lastLabel - labels.length + 1 + index, label]),
      ],
    );
    if (created.done) return (await this.answerOfWritten('createEvent', [input], created.earlier)) as EventRecord;
    const event = await this.getEvent(graceid);
    await this.onEventCreated?.(event);
    return event;
  }

  /**
   * The answer of a write an earlier run made, from its mark (embedded-write-mark.ts): the answer itself when the
   * task recorded it, else rebuilt from what the write left in the store (the answer was lost, e.g. by a failover or a
   * cut connection). A new event's follow-up (onEventCreated) is idempotent, so it is made again.
   */
  async answerOfWritten(method: string, args: unknown[], earlier: MarkRecord): Promise<unknown> {
    if ('answer' in earlier) return earlier.answer;
    switch (method) {
      case 'createEvent': {
        const event = await this.getEvent(String(earlier.written));
        await this.onEventCreated?.(event);
        return event;
      }
      case 'createLabel':
        // The label's follow-up is idempotent, so it is asked for again (the earlier run may have stopped before it).
        await this.onLabelAdded?.(String(args[1]), String(args[0]));
        return undefined;
      case 'writeLog':
        return this.annotations.earlierLog(String(args[0]), earlier);
      case 'createVoevent':
        return this.alertRecords.earlierVoevent(String(args[0]), earlier);
      case 'createSuperevent':
        return this.getSuperevent(String(earlier.written));
      case 'updateSuperevent':
        return this.getSuperevent(String(args[0]));
      case 'addPipelinePreferredEvent':
        return this.records.pipelinePreferredEntry(String(args[1]));
      default:
        return undefined;
    }
  }

  /**
   * Replaces an event's file (GraceDB's PUT on an event): the upload becomes the file's next version and the event's
   * facts are read from it again; group, pipeline, search and labels stay.
   */
  async replaceEvent(graceid: string, input: { filename: string; filecontents: Buffer | string }): Promise<EventRecord> {
    const [facts] = await this.records.eventFacts([graceid]);
    if (!facts) throw new GraceDbNotFoundError(`no event ${graceid} in the embedded GraceDB`);
    const bytes = this.annotations.fileBytes(input.filename, input.filecontents);
    const summary = summariseOrRefuse(input.filename, bytes);
    const mark = takeWriteMark();
    const version = (await this.redis.hincrby(this.keys.fileVersions(graceid), input.filename, 1)) - 1;
    const { seq: _seq, superevent: _superevent, labels: _labels, ...kept } = facts;
    const stored: StoredEvent = { ...kept, ...summary };
    const log = this.annotations.entry('Replaced event file', { filename: input.filename, version });
    const replaced = await evalMarked(
      this.redis,
      'gracedb-replace-event',
      [this.keys.event(graceid), this.keys.file(graceid, input.filename, version), this.keys.logs(graceid), this.keys.eventsByGpstime],
      [graceid, JSON.stringify(stored), bytes, JSON.stringify(log), summary.gpstime ?? ''],
      mark,
    );
    if (!replaced.done && replaced.reply === 'missing') throw new GraceDbNotFoundError(`no event ${graceid} in the embedded GraceDB`);
    return this.getEvent(graceid);
  }

  /** Takes an event out of a superevent; its preferred event stays (GraceDB refuses that too). */
  async removeEventFromSuperevent(supereventId: string, graceid: string): Promise<void> {
    await this.supereventFacts(supereventId);
    const [event] = await this.records.eventFacts([graceid]);
    if (!event) throw new GraceDbNotFoundError(`no event ${graceid} in the embedded GraceDB`);
    const log = this.annotations.entry(`Removed event: ${graceid}`);
    const memberKey = event.group === 'External' ? this.keys.supereventEmEvents(supereventId) : this.keys.supereventEvents(supereventId);
    const removed = await evalMarked(
      this.redis,
      'gracedb-remove-event',
      [
        this.keys.event(graceid),
        this.keys.superevent(supereventId),
        memberKey,
        this.keys.pipelinePreferred(supereventId),
        this.keys.logs(supereventId),
      ],
      [supereventId, graceid, event.pipeline, JSON.stringify(log)],
    );
    const result = removed.done ? 'ok' : removed.reply;
    if (result === 'missing') throw new GraceDbNotFoundError(`no superevent ${supereventId} in the embedded GraceDB`);
    if (result === 'not-member') throw new GraceDbNotFoundError(`event ${graceid} is not in superevent ${supereventId}`);
    if (result === 'preferred')
      throw new GraceDbBadRequestError(`Event ${graceid} is the preferred event of ${supereventId} and cannot be removed`);
  }

  getLogTags(objectId: string, n: number): Promise<string[]> {
    return this.annotations.getLogTags(objectId, n);
  }

  /** Adds (add true) or removes a tag of log entry N. */
  tagLog(objectId: string, n: number, tag: string, add: boolean): Promise<LogRecord> {
    return this.annotations.tagLog(objectId, n, tag, add);
  }

  async addEventToSuperevent(supereventId: string, graceid: string): Promise<void> {
    const superevent = await this.supereventFacts(supereventId);
    const event = await this.existingEvent(graceid);
    this.assertCompatible(event, superevent.category);
    const log = this.annotations.entry(`Added event: ${graceid}`);
    const added = await evalMarked(
      this.redis,
      'gracedb-add-event',
      [
        this.keys.event(graceid),
        this.keys.superevent(supereventId),
        this.memberKey(supereventId, event),
        this.keys.logs(supereventId),
        this.keys.order,
      ],
      [supereventId, graceid, JSON.stringify(log)],
    );
    const result = added.done ? 'ok' : added.reply;
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
    const stored: StoredSuperevent = { superevent_id: id, category, created: graceDbTime(), submitter: this.submitter };
    const log = this.annotations.entry(
      `Superevent created with t_start=${t_start}, t_0=${t_0}, t_end=${t_end}, preferred_event=${graceids[0]}`,
    );
    const created = await evalMarked(
      this.redis,
      'gracedb-create-superevent',
      [
        this.keys.superevent(id),
        this.keys.superevents,
        this.keys.supereventsByT0,
        this.keys.labels(id),
        this.keys.logs(id),
        this.keys.order,
        this.keys.pipelinePreferred(id),
        ...events.flatMap((event) => [this.keys.event(event.graceid), this.memberKey(id, event)]),
      ],
      [
        id,
        JSON.stringify(stored),
        t_start,
        t_0,
        t_end,
        graceids[0],
        seq,
        JSON.stringify(log),
        JSON.stringify(labels),
        events[0].pipeline,
        ...graceids,
      ],
    );
    if (created.done) return (await this.answerOfWritten('createSuperevent', [input], created.earlier)) as SupereventRecord;
    const result = created.reply;
    // Another request claimed one of the events between our check and the script; that suffix stays unused.
    if (typeof result === 'string') throw alreadyAssigned(result);
    return this.getSuperevent(id);
  }

  async updateSuperevent(supereventId: string, update: SupereventUpdate): Promise<SupereventRecord> {
    const current = await this.supereventFacts(supereventId);
    const changes: [string, string | number | null][] = [];
    for (const field of ['t_start', 't_0', 't_end'] as const) {
      const value = update[field];
      if (value !== undefined && requireGps(value, field) !== current[field]) changes.push([field, value]);
    }
    if (update.em_type !== undefined && requireText(update.em_type, 'em_type') !== current.em_type) {
      if (update.em_type.length > 64) throw new GraceDbBadRequestError('em_type: ensure this field has no more than 64 characters');
      changes.push(['em_type', update.em_type]);
    }
    for (const field of ['time_coinc_far', 'space_coinc_far'] as const) {
      const value = update[field];
      if (value === undefined) continue;
      // A FAR may be set back to null (GraceDB's fields are nullable); otherwise a rate, never negative.
      if (value !== null && (typeof value !== 'number' || !Number.isFinite(value) || value < 0))
        throw new GraceDbBadRequestError(`${field}: a false alarm rate (Hz, at least 0) or null is required`);
      if (value !== current[field]) changes.push([field, value]);
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
    const shown = (value: unknown) => (value === null || value === undefined ? 'None' : String(value));
    const described = changes
      .map(([field, value]) => `${field}: ${shown(current[field as keyof typeof current])} -> ${shown(value)}`)
      .join(', ');
    const log = this.annotations.entry(`Updated superevent parameters: ${described}`);
    const updated = await evalMarked(
      this.redis,
      'gracedb-update-superevent',
      [
        this.keys.superevent(supereventId),
        newPreferred ? this.keys.event(newPreferred.graceid) : this.keys.superevent(supereventId),
        newPreferred ? this.memberKey(supereventId, newPreferred) : this.keys.supereventEvents(supereventId),
        this.keys.supereventsByT0,
        this.keys.logs(supereventId),
        this.keys.order,
        this.keys.pipelinePreferred(supereventId),
      ],
      [
        supereventId,
        newPreferred?.graceid ?? '',
        JSON.stringify(log),
        newPreferred?.pipeline ?? '',
        ...changes.flatMap(([field, value]) => [field, value === null ? '' : value]),
      ],
    );
    if (updated.done) return (await this.answerOfWritten('updateSuperevent', [supereventId, update], updated.earlier)) as SupereventRecord;
    const result = updated.reply;
    if (typeof result === 'string' && result.startsWith('assigned:')) throw alreadyAssigned(newPreferred?.graceid ?? '');
    return this.getSuperevent(supereventId);
  }

  async getPipelinePreferredEvents(supereventId: string): Promise<PipelinePreferredEventEntry[]> {
    const facts = await this.supereventFacts(supereventId);
    const [preferred] = await this.records.eventFacts([facts.preferred_event]);
    const [byPipeline] = await this.records.pipelinePreferred([facts], [preferred]);
    return Object.keys(byPipeline)
      .sort()
      .map((pipeline) => this.records.pipelinePreferredEntry(byPipeline[pipeline]));
  }

  async addPipelinePreferredEvent(supereventId: string, graceid: string): Promise<PipelinePreferredEventEntry> {
    const event = await this.existingEvent(graceid);
    // Each attempt's script carries the task's write mark (only the one that writes sets it).
    const mark = takeWriteMark();
    // The preferred event may change between our look and the script; then the checks are made again.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const superevent = await this.getSuperevent(supereventId);
      this.assertCompatible(event, CATEGORY_BY_DISPLAY[superevent.category]);
      if (superevent.pipeline_preferred_events[event.pipeline]?.graceid === graceid) {
        throw new GraceDbBadRequestError(`Event ${graceid} is already the ${event.pipeline} pipeline-preferred event for ${supereventId}`);
      }
      if (superevent.preferred_event_data?.pipeline === event.pipeline) {
        throw new GraceDbBadRequestError(
          `Adding ${graceid} as a pipeline-preferred event would remove ${superevent.preferred_event} as the preferred event`,
        );
      }
      if (event.superevent && event.superevent !== supereventId)
        throw new GraceDbBadRequestError(`Event ${graceid} is part of a different superevent`);
      const log = this.annotations.entry(`Set ${graceid} as the ${event.pipeline} pipeline-preferred event`);
      const added = await evalMarked(
        this.redis,
        'gracedb-add-pipeline-preferred',
        [
          this.keys.event(graceid),
          this.keys.superevent(supereventId),
          this.memberKey(supereventId, event),
          this.keys.pipelinePreferred(supereventId),
          this.keys.logs(supereventId),
          this.keys.order,
        ],
        [supereventId, graceid, event.pipeline, JSON.stringify(log), superevent.preferred_event],
        mark,
      );
      if (added.done)
        return (await this.answerOfWritten(
          'addPipelinePreferredEvent',
          [supereventId, graceid],
          added.earlier,
        )) as PipelinePreferredEventEntry;
      const result = added.reply;
      if (result === 'ok') return this.records.pipelinePreferredEntry(graceid);
      if (result === 'missing') throw new GraceDbNotFoundError(`no superevent ${supereventId} in the embedded GraceDB`);
      if (result === 'already') {
        throw new GraceDbBadRequestError(`Event ${graceid} is already the ${event.pipeline} pipeline-preferred event for ${supereventId}`);
      }
      if (typeof result === 'string' && result.startsWith('assigned:')) {
        throw new GraceDbBadRequestError(`Event ${graceid} is part of a different superevent`);
      }
    }
    throw new GraceDbBadRequestError(`the preferred event of ${supereventId} kept changing; ${graceid} was not added`, 409);
  }

  /**
   * Asks for a label's follow-up again (EmbeddedStoreOptions.onLabelAdded), for a write answered from its earlier run
   * (an Idempotency-Key replayed): that run may have stopped between the label and its follow-up.
   */
  async labelApplied(objectId: string, label: string): Promise<void> {
    await this.onLabelAdded?.(objectId, label);
  }

  async expose(supereventId: string): Promise<void> {
    await this.alertRecords.setExposed(supereventId, 'expose');
  }

  getVoevents(objectId: string): Promise<VoeventRecord[]> {
    return this.alertRecords.getVoevents(objectId);
  }

  /** A VOEvent whose document describes the candidate as stored: a superevent's preferred event and t_0, or the event. */
  async signoff(supereventId: string, input: SignoffInput): Promise<SignoffRecord> {
    return this.alertRecords.signoff(supereventId, input);
  }

  async createVoevent(objectId: string, input: VoeventInput): Promise<VoeventRecord> {
    let event: EventRecord;
    let time: number | null;
    if (isSupereventId(objectId)) {
      const superevent = await this.getSuperevent(objectId);
      event = superevent.preferred_event_data ?? (await this.getEvent(superevent.preferred_event));
      time = superevent.t_0;
    } else {
      event = await this.getEvent(objectId);
      time = event.gpstime;
    }
    const facts: VoeventFacts = {
      time: time === null ? null : gpsToDate(time).toISOString(),
      far: event.far,
      instruments: event.instruments,
      group: event.group,
      pipeline: event.pipeline,
      search: event.search ?? '',
      eventPage: this.records.objectUrl(objectId).replace('/api/', '/') + 'view/',
    };
    return this.alertRecords.createVoevent(objectId, input, facts);
  }

  async createLabel(label: string, objectId: string): Promise<void> {
    await this.annotations.createLabel(label, objectId);
    await this.onLabelAdded?.(objectId, label);
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
