// Labels, log entries and versioned files of the embedded GraceDB, for events and superevents alike.
import type { Redis } from 'ioredis';
import type { EmbeddedKeys } from './embedded-keys.js';
import type { EmbeddedRecords, StoredLog } from './embedded-records.js';
import { evalMarked, takeWriteMark, type MarkRecord } from './embedded-write-mark.js';
import { GraceDbBadRequestError, GraceDbNotFoundError } from './errors.js';
import type { LogRecord, WriteLogOptions } from './gracedb.js';
import { isEventId, isSupereventId, splitVersionedFilename } from './id-patterns.js';
import { graceDbTime } from './gps-time.js';

const LABEL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const TAG_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface AnnotationOptions {
  submitter: string;
  maxFileBytes: number;
}

export class EmbeddedAnnotations {
  constructor(
    private readonly redis: Redis,
    private readonly keys: EmbeddedKeys,
    private readonly records: EmbeddedRecords,
    private readonly options: AnnotationOptions,
  ) {}

  async assertExists(objectId: string): Promise<void> {
    const key = isSupereventId(objectId) ? this.keys.superevent(objectId) : isEventId(objectId) ? this.keys.event(objectId) : undefined;
    if (!key || (await this.redis.exists(key)) === 0) {
      throw new GraceDbNotFoundError(`no ${isSupereventId(objectId) ? 'superevent' : 'event'} ${objectId} in the embedded GraceDB`);
    }
  }

  /** A log entry by this store's submitter, ready to RPUSH. */
  entry(comment: string, file?: { filename: string; version: number }, tags: string[] = []): StoredLog {
    return {
      comment,
      issuer: this.options.submitter,
      created: graceDbTime(),
      filename: file?.filename ?? '',
      file_version: file?.version ?? null,
      tag_names: tags,
    };
  }

  validateLabel(label: string): void {
    if (!LABEL_NAME.test(label)) throw new GraceDbBadRequestError(`"${label}" is not a label name (letters, digits, _ . -)`);
  }

  /** The bytes of an upload, refused when its name is unusable or it exceeds the size cap. */
  fileBytes(filename: string, contents: Buffer | string): Buffer {
    const unusable = !filename || filename.length > 255 || /[/\\]/.test(filename) || [...filename].some((char) => char.charCodeAt(0) < 32);
    if (unusable || splitVersionedFilename(filename).version !== undefined) {
      throw new GraceDbBadRequestError(`"${filename}" is not a usable file name (no slashes, control characters or ",N" ending)`);
    }
    const bytes = typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
    if (bytes.length > this.options.maxFileBytes) {
      throw new GraceDbBadRequestError(
        `${filename} is ${bytes.length} bytes; the embedded GraceDB accepts files of at most ${this.options.maxFileBytes} bytes`,
      );
    }
    return bytes;
  }

  async createLabel(label: string, objectId: string): Promise<void> {
    this.validateLabel(label);
    await this.assertExists(objectId);
    // A label already there is no error and no new log entry: retried tasks apply labels again.
    const log = JSON.stringify(this.entry(`Added label: ${label}`));
    await evalMarked(
      this.redis,
      'gracedb-add-label',
      [this.keys.labels(objectId), this.keys.order, this.keys.logs(objectId)],
      [label, log],
    );
  }

  async removeLabel(label: string, objectId: string): Promise<void> {
    await this.assertExists(objectId);
    const log = JSON.stringify(this.entry(`Removed label: ${label}`));
    const removed = await evalMarked(
      this.redis,
      'gracedb-remove-label',
      [this.keys.labels(objectId), this.keys.logs(objectId)],
      [label, log],
    );
    if (!removed.done && removed.reply === 0) throw new GraceDbNotFoundError(`label ${label} is not applied to ${objectId}`);
  }

  async getLogs(objectId: string): Promise<LogRecord[]> {
    await this.assertExists(objectId);
    const entries = await this.redis.lrange(this.keys.logs(objectId), 0, -1);
    return entries.map((json, index) => this.records.logRecord(objectId, index + 1, JSON.parse(json) as StoredLog));
  }

  async writeLog(objectId: string, comment: string, options: WriteLogOptions = {}): Promise<LogRecord> {
    const tags = options.tags ?? [];
    for (const tag of tags) if (!TAG_NAME.test(tag)) throw new GraceDbBadRequestError(`"${tag}" is not a tag name`);
    const hasFile = options.filename !== undefined || options.filecontents !== undefined;
    if (hasFile && (options.filecontents === undefined || !options.filename)) {
      throw new GraceDbBadRequestError('a log file needs both a filename and its contents');
    }
    const bytes = hasFile ? this.fileBytes(options.filename!, options.filecontents!) : undefined;
    await this.assertExists(objectId);
    let entry = this.entry(comment, undefined, tags);
    let keys = [this.keys.logs(objectId)];
    let file: (string | Buffer)[] = ['', '0'];
    if (bytes) {
      // HINCRBY hands out versions atomically, so concurrent uploads of one name never share a version. (One whose
      // answer is lost and is sent again skips a version: a gap, never a clash.)
      const version = (await this.redis.hincrby(this.keys.fileVersions(objectId), options.filename!, 1)) - 1;
      entry = this.entry(comment, { filename: options.filename!, version }, tags);
      keys = [this.keys.logs(objectId), this.keys.file(objectId, options.filename!, version)];
      file = [bytes, '1'];
    }
    const written = await evalMarked(this.redis, 'gracedb-write-log', keys, [JSON.stringify(entry), ...file]);
    if (written.done) return this.earlierLog(objectId, written.earlier);
    return this.records.logRecord(objectId, Number(written.reply), entry);
  }

  /** The answer of a log entry an earlier run wrote, from its mark: the answer itself, or the entry read back. */
  async earlierLog(objectId: string, earlier: MarkRecord): Promise<LogRecord> {
    if ('answer' in earlier) return earlier.answer as LogRecord;
    const n = Number(earlier.written);
    const [entry] = await this.redis.lrange(this.keys.logs(objectId), n - 1, n - 1);
    return this.records.logRecord(objectId, n, JSON.parse(entry) as StoredLog);
  }

  /** The entry N of an object's log, as stored and as read (the read text is what a change compares against). */
  private async logEntry(objectId: string, n: number): Promise<{ raw: string; entry: StoredLog }> {
    await this.assertExists(objectId);
    const raw = Number.isInteger(n) && n >= 1 ? await this.redis.lindex(this.keys.logs(objectId), n - 1) : null;
    if (raw === null) throw new GraceDbNotFoundError(`no log entry ${n} on ${objectId}`);
    return { raw, entry: JSON.parse(raw) as StoredLog };
  }

  async getLogTags(objectId: string, n: number): Promise<string[]> {
    return (await this.logEntry(objectId, n)).entry.tag_names;
  }

  /** Adds (or removes) a tag on log entry N; adding one already there (removing one absent) changes nothing. */
  async tagLog(objectId: string, n: number, tag: string, add: boolean): Promise<LogRecord> {
    if (!TAG_NAME.test(tag)) throw new GraceDbBadRequestError(`"${tag}" is not a tag name`);
    const mark = takeWriteMark();
    // Compare-and-set on the entry: a concurrent tag change on the same entry makes this one read again.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const { raw, entry } = await this.logEntry(objectId, n);
      const has = entry.tag_names.includes(tag);
      if (!add && !has) throw new GraceDbNotFoundError(`log entry ${n} on ${objectId} has no tag ${tag}`);
      if (add && has) return this.records.logRecord(objectId, n, entry);
      const changed: StoredLog = { ...entry, tag_names: add ? [...entry.tag_names, tag] : entry.tag_names.filter((t) => t !== tag) };
      const replaced = await evalMarked(
        this.redis,
        'gracedb-replace-log-entry',
        [this.keys.logs(objectId)],
        [n - 1, raw, JSON.stringify(changed)],
        mark,
      );
      if (replaced.done) return this.records.logRecord(objectId, n, (await this.logEntry(objectId, n)).entry);
      if (replaced.reply === 1) return this.records.logRecord(objectId, n, changed);
      if (replaced.reply === -1) throw new GraceDbNotFoundError(`no log entry ${n} on ${objectId}`);
    }
    throw new GraceDbBadRequestError(`the tags of log entry ${n} on ${objectId} kept changing; try again`, 409);
  }

  async download(filename: string, objectId: string): Promise<Buffer> {
    await this.assertExists(objectId);
    const { name, version } = splitVersionedFilename(filename);
    let wanted = version;
    if (wanted === undefined) {
      const count = await this.redis.hget(this.keys.fileVersions(objectId), name);
      if (count === null) throw new GraceDbNotFoundError(`no file ${name} on ${objectId}`);
      wanted = Number(count) - 1;
    }
    const bytes = await this.redis.getBuffer(this.keys.file(objectId, name, wanted));
    if (bytes === null) throw new GraceDbNotFoundError(`no file ${name},${wanted} on ${objectId}`);
    return bytes;
  }

  async listFiles(objectId: string): Promise<Record<string, string>> {
    await this.assertExists(objectId);
    const versions = await this.redis.hgetall(this.keys.fileVersions(objectId));
    const files: Record<string, string> = {};
    for (const [name, count] of Object.entries(versions)) {
      files[name] = this.records.fileUrl(objectId, name);
      for (let version = 0; version < Number(count); version += 1)
        files[`${name},${version}`] = this.records.fileUrl(objectId, `${name},${version}`);
    }
    return files;
  }
}
