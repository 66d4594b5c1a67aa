// The dashboard's index of finished and running tasks in Redis: sorted sets by time, state, queue, name and runtime, a compact searchable record per task, and trigram postings for search.
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Redactor } from '../log/redact.js';
import { earlierTaskIndexBase, taskIndexBase } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import type { JobData } from '../queue/canvas.js';
import { SEARCH_FIELDS, type SearchTerm, type TaskSort } from './task-query.js';

/** States the index records (waiting and delayed tasks are read from BullMQ itself). */
export type IndexedState = 'active' | 'retrying' | 'completed' | 'failed';

/** What a task list shows of a task: short texts, times in ms since the epoch. */
export interface TaskSummary {
  id: string;
  name: string;
  queue: string;
  state: string;
  /** Positional and keyword arguments as JSON, cut to a few hundred characters. */
  args: string;
  result: string | null;
  error: string | null;
  worker: string | null;
  submittedBy: string | null;
  submittedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  runtimeMs: number | null;
  attempts: number;
  rootId: string;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const json = (value: unknown) => {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return String(value);
  }
};

/** Above this, a value is shown by the head of its JSON only (a downloaded file's base64 runs to megabytes). */
const WHOLE_JSON_LIMIT = 64 * 1024;

/**
 * `value` as redacted JSON, cut to `max` characters: redacted key by key when it is small, else its head as text (with
 * room beyond `max`, so that a secret crossing the cut is still recognised before it is cut).
 */
function shownJson(value: unknown, redactor: Redactor, max: number): string {
  const text = json(value);
  if (text.length <= WHOLE_JSON_LIMIT) return clip(json(redactor.value(value)), max);
  return clip(redactor.text(text.slice(0, max + 1000)), max);
}

/**
 * A task as the list shows it, from its BullMQ job; `state` is the one the caller knows it is in. Its texts are redacted
 * before they are cut short (a secret cut in two would no longer be recognised), so neither the index nor a page holds one.
 */
export function summarizeJob(
  job: Job,
  state: string,
  redactor: Redactor,
  outcome: { result?: unknown; error?: string } = {},
  /** The arguments' text of an earlier summary of this job (its arguments do not change): not made again. */
  knownArgs?: string,
): TaskSummary {
  const data = (job.data ?? {}) as Partial<JobData>;
  const args = () => {
    const kwargs = data.kwargs && Object.keys(data.kwargs).length ? ` ${shownJson(data.kwargs, redactor, 400)}` : '';
    return clip(`${shownJson(data.args ?? [], redactor, 400)}${kwargs}`, 400);
  };
  const finished = state === 'completed' || state === 'failed';
  const result =
    state === 'completed' ? shownJson(outcome.result !== undefined ? outcome.result : (job.returnvalue ?? null), redactor, 400) : null;
  return {
    id: job.id!,
    name: job.name,
    queue: job.queueName,
    state,
    args: knownArgs ?? args(),
    result,
    error: state === 'failed' || state === 'retrying' ? clip(redactor.text(outcome.error ?? job.failedReason ?? 'failed'), 600) : null,
    worker: job.processedBy ?? null,
    submittedBy: data.meta?.submittedBy ?? null,
    submittedAt: data.meta?.submittedAt ?? job.timestamp,
    startedAt: job.processedOn ?? null,
    finishedAt: finished ? (job.finishedOn ?? Date.now()) : null,
    runtimeMs: finished && job.processedOn ? Math.max(0, (job.finishedOn ?? Date.now()) - job.processedOn) : null,
    attempts: job.attemptsMade,
    rootId: data.meta?.rootId ?? job.id!,
  };
}

/** A row read back from the index, redacted again with this process's configuration (it may know more secrets). */
export function redactSummary(task: TaskSummary, redactor: Redactor): TaskSummary {
  const text = (value: string | null) => (value === null ? null : redactor.text(value));
  return { ...task, args: redactor.text(task.args), result: text(task.result), error: text(task.error) };
}

const FIELD_SEPARATOR = '\x1f';
const ROW_SEPARATOR = '\x1e';
const cleanText = (value: string | number | null) =>
  String(value ?? '')
    .replaceAll(FIELD_SEPARATOR, ' ')
    .replaceAll(ROW_SEPARATOR, ' ');

/** The searchable fields of a task in its own case: "\x1ft=<ms>\x1fi=<id>\x1fn=<name>…\x1f" (see SEARCH_FIELDS for the codes). */
function recordText(task: TaskSummary): string {
  // The time comes first: free text is matched only after it (a word must not match the timestamp's digits).
  const parts: [string, string | number | null][] = [
    ['t', task.submittedAt],
    ['i', task.id],
    ['n', task.name],
    ['q', task.queue],
    ['s', task.state],
    ['w', task.worker],
    ['a', task.args],
    ['r', task.error ?? task.result],
  ];
  return `${FIELD_SEPARATOR}${parts.map(([code, value]) => `${code}=${cleanText(value)}`).join(FIELD_SEPARATOR)}${FIELD_SEPARATOR}`;
}

/** The lower-cased text the search runs over: "\x1ft=<ms>\x1fi=<id>\x1fn=<name>…\x1f" (see SEARCH_FIELDS for the codes). */
export function searchRecord(task: TaskSummary): string {
  return recordText(task).toLowerCase();
}

const asciiLower = (text: string) => text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());

/**
 * A task as the index stores it: "<meta>\x1e<record>[\x1e<record lower-cased>]", one string (src/redis/lua/includes/
 * task-row.lua). The record holds what is searched, in its own case (Lua lower-cases it for a search); the copy is
 * there only when lower-casing changes more than ASCII letters. The meta holds the rest of what a list shows: start
 * and finish as ms after submission, runtime, attempts, root ('' when the task itself), submitter, which of result
 * and error the record's "r" field holds ('' neither, r, e, or b: the error, with the result last).
 */
export function taskRow(task: TaskSummary): string {
  return rowOf(task, recordText(task));
}

function rowOf(task: TaskSummary, record: string): string {
  const after = (time: number | null) => (time === null ? '' : time - task.submittedAt);
  const kind = task.error !== null ? (task.result !== null ? 'b' : 'e') : task.result !== null ? 'r' : '';
  const meta = [
    after(task.startedAt),
    after(task.finishedAt),
    task.runtimeMs ?? '',
    task.attempts,
    task.rootId === task.id ? '' : cleanText(task.rootId),
    cleanText(task.submittedBy),
    kind,
    kind === 'b' ? cleanText(task.result) : '',
  ].join(FIELD_SEPARATOR);
  const lower =
    !/^[\p{ASCII}]*$/u.test(record) && record.toLowerCase() !== asciiLower(record) ? `${ROW_SEPARATOR}${record.toLowerCase()}` : '';
  return `${meta}${ROW_SEPARATOR}${record}${lower}`;
}

/** The task a row stores (see taskRow). */
export function parseRow(row: string): TaskSummary {
  const z = row.indexOf(ROW_SEPARATOR);
  const y = row.indexOf(ROW_SEPARATOR, z + 1);
  const [started, finished, runtime, attempts, root, by, kind, extra] = row.slice(0, z).split(FIELD_SEPARATOR);
  const fields: Record<string, string> = {};
  for (const part of row.slice(z + 1, y < 0 ? undefined : y).split(FIELD_SEPARATOR)) if (part) fields[part[0]] = part.slice(2);
  const submittedAt = Number(fields.t);
  const at = (value: string) => (value === '' ? null : submittedAt + Number(value));
  return {
    id: fields.i,
    name: fields.n,
    queue: fields.q,
    state: fields.s,
    args: fields.a,
    result: kind === 'r' ? fields.r : kind === 'b' ? extra : null,
    error: kind === 'e' || kind === 'b' ? fields.r : null,
    worker: fields.w || null,
    submittedBy: by || null,
    submittedAt,
    startedAt: at(started),
    finishedAt: at(finished),
    runtimeMs: runtime === '' ? null : Number(runtime),
    attempts: Number(attempts),
    rootId: root || fields.i,
  };
}

/** The same matching as the Lua scan, for tasks read from BullMQ directly. */
export function matchesTerms(record: string, terms: SearchTerm[]): boolean {
  const field = (code: string): [string, number] => {
    const start = record.indexOf(`${FIELD_SEPARATOR}${code}=`);
    if (start < 0) return ['', -1];
    const end = record.indexOf(FIELD_SEPARATOR, start + 1);
    return [record.slice(start + 3, end < 0 ? undefined : end), end];
  };
  // As includes/task-row.lua matches: the ID from its start only (by free text as by id:), the state whole.
  return terms.every(({ field: name, text }) => {
    if (!name) {
      const [id, end] = field('i');
      return id.startsWith(text) || record.indexOf(text, end >= 0 ? end : record.indexOf(FIELD_SEPARATOR, 1)) >= 0;
    }
    const code = SEARCH_FIELDS[name];
    const [value] = field(code);
    return code === 's' ? value === text : code === 'i' ? value.startsWith(text) : value.includes(text);
  });
}

/** How much of a task ID the postings hold (includes/trigrams.lua ID_PREFIX): an ID is found from its start. */
const ID_PREFIX = 4;

/** What of a lower-cased record is posted: after the time field, the ID cut to its first ID_PREFIX bytes (as includes/trigrams.lua indexed_text). */
function indexedText(lower: string): string {
  const start = lower.indexOf(FIELD_SEPARATOR, 1);
  if (!lower.startsWith('i=', start + 1)) return lower.slice(start);
  const found = lower.indexOf(FIELD_SEPARATOR, start + 3);
  const end = found < 0 ? lower.length : found;
  return lower.slice(start, Math.min(end, start + 3 + ID_PREFIX)) + lower.slice(end);
}

/**
 * Trigram -> the offsets of the tasks that hold it, per block, for one batch: an open-addressing table over typed
 * arrays (a batch has some 200,000 trigram occurrences; a Map of arrays spent more time collecting garbage than
 * indexing). Keys are trigram (3 bytes) + part (the batch's n-th block) * 2^24, stored plus one (0 = empty).
 */
class TrigramTable {
  keys = new Int32Array(1 << 14);
  heads = new Int32Array(1 << 14);
  tails = new Int32Array(1 << 14);
  counts = new Int32Array(1 << 14);
  /** Slots in the order their keys came. */
  order = new Int32Array(1 << 13);
  size = 0;
  next = new Int32Array(1 << 16);
  offsets = new Uint16Array(1 << 16);
  occurrences = 0;

  reset(capacity: number): void {
    this.keys.fill(0);
    this.size = 0;
    this.occurrences = 0;
    if (this.next.length < capacity) {
      this.next = new Int32Array(capacity);
      this.offsets = new Uint16Array(capacity);
    }
  }

  add(key: number, offset: number): void {
    if (this.size * 2 >= this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    let h = Math.imul(key + 1, 0x9e3779b1) & mask;
    for (;;) {
      const stored = this.keys[h];
      if (stored === 0) {
        this.keys[h] = key + 1;
        this.heads[h] = this.tails[h] = this.push(offset);
        this.counts[h] = 1;
        this.order[this.size++] = h;
        return;
      }
      if (stored === key + 1) {
        // A trigram twice in one task: once.
        if (this.offsets[this.tails[h]] === offset) return;
        const at = this.push(offset);
        this.next[this.tails[h]] = at;
        this.tails[h] = at;
        this.counts[h]++;
        return;
      }
      h = (h + 1) & mask;
    }
  }

  private push(offset: number): number {
    const at = this.occurrences++;
    this.offsets[at] = offset;
    this.next[at] = -1;
    return at;
  }

  private grow(): void {
    const { keys, heads, tails, counts, order, size } = this;
    const length = keys.length * 2;
    this.keys = new Int32Array(length);
    this.heads = new Int32Array(length);
    this.tails = new Int32Array(length);
    this.counts = new Int32Array(length);
    this.order = new Int32Array(length / 2);
    this.size = 0;
    const mask = length - 1;
    for (let i = 0; i < size; i++) {
      const old = order[i];
      let h = Math.imul(keys[old], 0x9e3779b1) & mask;
      while (this.keys[h] !== 0) h = (h + 1) & mask;
      this.keys[h] = keys[old];
      this.heads[h] = heads[old];
      this.tails[h] = tails[old];
      this.counts[h] = counts[old];
      this.order[this.size++] = h;
    }
  }
}

const trigramTable = new TrigramTable();

/**
 * A batch's trigram postings as the upsert script reads them (src/redis/lua/task-index-upsert.lua): per block the
 * batch's slots s0 + position reach, the block, the byte its bits start at, how many trigrams, the bytes of each
 * trigram's bitmap piece, then one string of per trigram: its 3 bytes, its bitmap piece over the batch's own bytes, the
 * length of its list of offsets (2 bytes; 0 when the list would be half a bitmap or more), the list.
 */
function batchPostings(records: string[], s0: number, block: number): (number | Buffer)[] {
  const table = trigramTable;
  table.reset(records.reduce((sum, record) => sum + Buffer.byteLength(record), 0));
  const firstBlock = Math.floor(s0 / block);
  records.forEach((record, position) => {
    const slot = s0 + position;
    const offset = slot % block;
    const part = Math.floor(slot / block) - firstBlock;
    // The trigrams of what is posted (after the time field, the ID's start), as bytes: as the Lua scripts cut them.
    const posted = indexedText(record.toLowerCase());
    // Most records are ASCII: their characters are their bytes.
    if (Buffer.byteLength(posted) === posted.length) {
      for (let i = 0; i + 3 <= posted.length; i++)
        table.add(((posted.charCodeAt(i) << 16) | (posted.charCodeAt(i + 1) << 8) | posted.charCodeAt(i + 2)) + part * 16777216, offset);
    } else {
      const text = Buffer.from(posted);
      for (let i = 0; i + 3 <= text.length; i++) table.add(((text[i] << 16) | (text[i + 1] << 8) | text[i + 2]) + part * 16777216, offset);
    }
  });
  const width = block / 8;
  const parts = Math.floor((s0 + records.length - 1) / block) - firstBlock + 1;
  const out: (number | Buffer)[] = [];
  for (let part = 0; part < parts; part++) {
    const number = firstBlock + part;
    // The batch's bytes in this block's bitmaps (its slots start on a whole byte, and no other batch shares one).
    const low = Math.max(s0, number * block) - number * block;
    const high = Math.min(s0 + records.length - 1, (number + 1) * block - 1) - number * block;
    const at = low >> 3;
    const piece = (high >> 3) - at + 1;
    let size = 0;
    let count = 0;
    for (let i = 0; i < table.size; i++) {
      const h = table.order[i];
      if (Math.floor((table.keys[h] - 1) / 16777216) !== part) continue;
      count++;
      size += 3 + piece + 2 + (table.counts[h] * 2 < width ? table.counts[h] * 2 : 0);
    }
    const packed = Buffer.alloc(size);
    let w = 0;
    for (let i = 0; i < table.size; i++) {
      const h = table.order[i];
      const key = table.keys[h] - 1;
      if (Math.floor(key / 16777216) !== part) continue;
      const trigram = key % 16777216;
      packed[w] = trigram >> 16;
      packed[w + 1] = (trigram >> 8) & 255;
      packed[w + 2] = trigram & 255;
      const bits = w + 3 - at;
      for (let o = table.heads[h]; o >= 0; o = table.next[o]) packed[bits + (table.offsets[o] >> 3)] |= 128 >> (table.offsets[o] & 7);
      w += 3 + piece;
      const listed = table.counts[h] * 2 < width ? table.counts[h] : 0;
      packed.writeUInt16BE(listed * 2, w);
      w += 2;
      if (listed) for (let o = table.heads[h]; o >= 0; o = table.next[o], w += 2) packed.writeUInt16BE(table.offsets[o], w);
    }
    out.push(number, at, count, piece, packed);
  }
  return out;
}

/** A task a search found in a block: its slot, submission time and sort value. */
interface SearchMatch {
  slot: string;
  time: number;
  value: string;
}

/**
 * What searches found per block, kept in this process by connection and search (index, epoch, state, sort, terms),
 * for the blocks' versions they were found at: a block whose version is unchanged (no task of it written or removed
 * since) gives the same matches, so a search asked again (a refresh, the next page) looks only in the blocks that
 * changed, usually the newest. The time window is applied after, so that a window moving with the clock keeps its
 * entries. The searches used least lately are forgotten beyond SEARCHES_KEPT.
 */
class SearchCache {
  private readonly byConnection = new WeakMap<
    Redis,
    Map<string, Map<number, { version: string; candidates: number; matches: SearchMatch[] }>>
  >();

  entry(redis: Redis, search: string): Map<number, { version: string; candidates: number; matches: SearchMatch[] }> {
    let searches = this.byConnection.get(redis);
    if (!searches) this.byConnection.set(redis, (searches = new Map()));
    const found = searches.get(search) ?? new Map();
    // Most lately used last.
    searches.delete(search);
    searches.set(search, found);
    while (searches.size > SEARCHES_KEPT) searches.delete(searches.keys().next().value!);
    return found;
  }
}

/** Searches whose matches a process keeps (each at most CANDIDATE_LIMIT of them). */
const SEARCHES_KEPT = 16;
const searchCache = new SearchCache();

/** Runs a pipeline or transaction and returns its values, throwing the first command error (e.g. Redis unreachable). */
async function values(batch: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<unknown[]> {
  const replies = (await batch.exec()) ?? [];
  const failed = replies.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
  return replies.map(([, value]) => value);
}

export interface IndexPageRequest {
  /** An indexed state, or undefined for every indexed task. */
  state?: IndexedState;
  terms: SearchTerm[];
  from?: number;
  to?: number;
  sort: TaskSort;
  /** How many matches to return, after skipping `skip` (default 0) from the start of the ordering. */
  want: number;
  skip?: number;
  /** Candidates looked at per Lua call (keeps each call short so Redis never blocks for long). */
  chunk?: number;
}

export interface IndexPage {
  ids: string[];
  /** The tasks of `ids`, in the same order. */
  tasks: TaskSummary[];
  /** Matches in all: exact unless the count was cut short (`exact` false: at least that many). */
  total: number;
  exact: boolean;
}

/** How many tasks the index holds in each state, queue and name. */
export interface IndexCounts {
  states: Map<string, number>;
  queues: Map<string, number>;
  names: Map<string, number>;
}

/** Above this many candidates from the postings, a search walks its sorted set instead (see TaskIndex.searchPostings). */
const CANDIDATE_LIMIT = 20_000;
/** Candidates checked per Lua call: a few milliseconds of Redis time. */
const MATCH_CHUNK = 2000;
/** A walk stops counting after this many rows (the total then reads "at least"). */
const COUNT_BUDGET = 250_000;
/** States with a sorted set of their own (a completed task, the common case, is found by walking the time index). */
const RARE_STATES = new Set<string>(['active', 'retrying', 'failed']);

/** Byte order, as Redis orders members and Lua compares strings. */
const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** One walk of a sorted set: its key, direction and rank range, the filters each row must pass. */
interface Walk {
  key: string;
  reverse: boolean;
  first: number;
  last: number;
  /** Time window checked row by row ('' = open). */
  window: [string | number, string | number];
  /** Term pairs for the scan script: field code ('' free text, 'N' the whole name in its own case), text. */
  termArgs: string[];
  /** How many matching slots to return (the first ones). */
  keep: number;
  /** Stop once `keep` are found (the total is then not counted); else count every match. */
  stop: boolean;
  chunk: number;
}

/** The keys of the earlier format: a few fixed names, and groups per index, block and trigram. */
const EARLIER_FIXED = ['doc', 'ver', 'rec', 'text', 'blk', 'seq', 'queues'];
const EARLIER_GROUPS = /^(?:idx|tg|tk):/;

/** The index itself; all keys live under `{prefix}:flower:ix:`. */
export class TaskIndex {
  readonly base: string;

  constructor(
    readonly redis: Redis,
    readonly config: Config,
  ) {
    this.base = taskIndexBase(config);
  }

  key(...parts: string[]): string {
    return [this.base, ...parts].join(':');
  }

  /** Writes tasks; `version` (ms) orders events, so a late event never overwrites a newer state. */
  /** `counters`: history counters written in the same call (HistoryRecorder.scriptArguments), one round trip for both. */
  async write(batch: { task: TaskSummary; version: number }[], counters: (string | number)[] = []): Promise<number> {
    if (!batch.length && !counters.length) return 0;
    // One entry per task, its newest (the script writes each task's rows with one command per index, in bulk).
    const newest = new Map<string, { task: TaskSummary; version: number }>();
    for (const entry of batch) {
      const seen = newest.get(entry.task.id);
      if (!seen || seen.version <= entry.version) newest.set(entry.task.id, entry);
    }
    const entries = [...newest.values()];
    // The batch's slots: s0 + position.
    const [s0, block] = entries.length
      ? ((await runScript(this.redis, 'task-index-reserve', [], [this.base, entries.length])) as number[]).map(Number)
      : [0, 8];
    const args: (string | number | Buffer)[] = [this.base, 0, 0, s0];
    const records: string[] = [];
    for (const { task, version } of entries) {
      const record = recordText(task);
      records.push(record);
      args.push(task.id, version, task.submittedAt, task.runtimeMs ?? '', rowOf(task, record));
    }
    args[2] = args.length + 1;
    args.push(...batchPostings(records, s0, block));
    args[1] = args.length + 1;
    if (counters.length) args.push(...counters);
    return Number(await runScript(this.redis, 'task-index-upsert', [], args));
  }

  /**
   * One step of removing the index an earlier version wrote (at a million tasks some 2 GB that nothing reads any more):
   * its fixed keys at the first step, then the per-block and per-trigram keys among the `count` keys the step's SCAN
   * looks at. `cursor`: where the previous step stopped ('0': start); returns where this one did ('0': done). UNLINK
   * frees the memory in Redis's background thread, so no step holds Redis up.
   */
  async retireEarlierFormat(cursor = '0', count = 2000): Promise<string> {
    const base = earlierTaskIndexBase(this.config);
    if (cursor === '0') await this.redis.unlink(...EARLIER_FIXED.map((name) => `${base}:${name}`));
    const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${base.replace(/[*?[\]\\]/g, '\\$&')}:*`, 'COUNT', count);
    const earlier = keys.filter((key) => EARLIER_GROUPS.test(key.slice(base.length + 1)));
    if (earlier.length) await this.redis.unlink(...earlier);
    return next;
  }

  /** Whether an earlier version's index is known to be gone (a full pass of retireEarlierFormat ended). */
  async earlierFormatRetired(): Promise<boolean> {
    return (await this.redis.exists(this.key('earlier-format-removed'))) === 1;
  }

  async markEarlierFormatRetired(): Promise<void> {
    await this.redis.set(this.key('earlier-format-removed'), String(Date.now()));
  }

  async remove(ids: string[]): Promise<number> {
    if (!ids.length) return 0;
    return Number(await runScript(this.redis, 'task-index-remove', [], [this.base, ...ids]));
  }

  /** Drops what BullMQ no longer keeps: older than the result TTL, or beyond the count kept per queue (completed + failed). */
  async trim(now = Date.now(), budget = 5000): Promise<number> {
    const cutoff = now - this.config.results.ttlSeconds * 1000;
    return Number(await runScript(this.redis, 'task-index-trim', [], [this.base, cutoff, this.config.results.maxCount * 2, budget]));
  }

  async get(ids: string[]): Promise<TaskSummary[]> {
    if (!ids.length) return [];
    const versions = await this.redis.hmget(this.key('ver'), ...ids);
    const slots = versions.filter((ver): ver is string => typeof ver === 'string').map((ver) => ver.slice(ver.indexOf(' ') + 1));
    return this.rows(slots);
  }

  /** The tasks in these slots, in the same order (a slot whose task was removed meanwhile is left out). */
  private async rows(slots: string[]): Promise<TaskSummary[]> {
    if (!slots.length) return [];
    const rows = await this.redis.hmget(this.key('rec'), ...slots);
    return rows.filter((row): row is string => typeof row === 'string').map(parseRow);
  }

  /** Which of these IDs the index holds. */
  async has(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hexists(this.key('ver'), id);
    const replies = await values(pipeline);
    return new Set(ids.filter((_, index) => replies[index] === 1));
  }

  async size(): Promise<number> {
    return this.redis.zcard(this.key('idx', 'time'));
  }

  /** How many tasks the index holds by state, queue and name (kept up to date by every write and removal). */
  async counts(): Promise<IndexCounts> {
    const all = await this.redis.hgetall(this.key('cnt'));
    const counts: IndexCounts = { states: new Map(), queues: new Map(), names: new Map() };
    const maps: Record<string, Map<string, number>> = { s: counts.states, q: counts.queues, n: counts.names };
    for (const [field, value] of Object.entries(all)) maps[field[0]]?.set(field.slice(2), Number(value));
    return counts;
  }

  /** The first `want` matching tasks in the requested order, and how many match in all. */
  async page(request: IndexPageRequest): Promise<IndexPage> {
    const found = await this.pageSlots(request);
    const tasks = await this.rows(found.slots);
    return { ids: tasks.map((task) => task.id), tasks, total: found.total, exact: found.exact };
  }

  private async pageSlots(request: IndexPageRequest): Promise<{ slots: string[]; total: number; exact: boolean }> {
    const sortKey = request.sort.replace('-', '');
    const reverse = request.sort.startsWith('-');
    const skip = request.skip ?? 0;
    const chunk = request.chunk ?? 2000;
    const want = Math.max(0, request.want);
    const state = request.state;
    const window: [string | number, string | number] = [request.from ?? '', request.to ?? ''];
    // Apart from a sort by time on a state with its own sorted set, the state is one more term checked row by row.
    const stateKey = sortKey === 'time' && state && RARE_STATES.has(state) ? this.key('idx', 'state', state) : undefined;
    // As before the state had its own sets: sorted by time a contrary state: term matches nothing; sorted by another
    // key the tab's state stands for every state: term.
    const kept = (t: SearchTerm) => t.field !== 'state' || (sortKey === 'time' && t.text !== state);
    const terms = state ? [...request.terms.filter(kept), ...(stateKey ? [] : [{ field: 'state' as const, text: state }])] : request.terms;
    const termArgs = (list: SearchTerm[]) => list.flatMap((t) => [t.field ? SEARCH_FIELDS[t.field] : '', t.text]);
    const searchTerms = terms.filter((t) => !(state && t.field === 'state' && t.text === state));

    // A term of 3 bytes or more has trigrams: its candidates come from the postings, when they are few enough.
    if (searchTerms.some((t) => Buffer.byteLength(t.text) >= 3)) {
      const found = await this.searchPostings(request, sortKey, termArgs(searchTerms));
      if (found) {
        const ordered = reverse ? found.reverse() : found;
        return { slots: ordered.slice(skip, skip + want), total: found.length, exact: true };
      }
    }

    if (sortKey === 'name') return this.pageByName(request, terms, termArgs);

    const key = stateKey ?? this.key('idx', sortKey === 'runtime' ? 'runtime' : 'time');
    let first = 0;
    let last: number;
    let rowWindow = window;
    if (sortKey === 'time') {
      [first, last] = await this.ranks(key, reverse, request.from, request.to);
      rowWindow = ['', ''];
    } else last = (await this.redis.zcard(key)) - 1;
    if (last < first) return { slots: [], total: 0, exact: true };

    // No filter left to check one by one: the sorted set answers directly, by rank.
    if (!terms.length && !rowWindow[0] && !rowWindow[1]) {
      const begin = first + skip;
      const stop = Math.min(last, begin + want - 1);
      const slots =
        want <= 0 || begin > last
          ? []
          : reverse
            ? await this.redis.zrange(key, begin, stop, 'REV')
            : await this.redis.zrange(key, begin, stop);
      return { slots, total: last - first + 1, exact: true };
    }
    const walk = (stop: boolean) =>
      this.walk({ key, reverse, first, last, window: rowWindow, termArgs: termArgs(terms), keep: skip + want, stop, chunk });
    // Only the completed state, sorted by time: its count comes from the counts, the page from a short walk.
    if (sortKey === 'time' && terms.length === 1 && state === 'completed' && terms[0].field === 'state') {
      const total = await this.completedCount(request.from, request.to);
      const walked = await walk(true);
      return { slots: walked.slots.slice(skip, skip + want), total, exact: true };
    }
    const walked = await walk(false);
    return { slots: walked.slots.slice(skip, skip + want), total: walked.total, exact: walked.exact };
  }

  /** The rank range of a time window in a sorted set by time, in the walk's direction. */
  private async ranks(key: string, reverse: boolean, from?: number, to?: number): Promise<[number, number]> {
    const [above, below, inside] = (
      await values(
        this.redis
          .pipeline()
          .zcount(key, to === undefined ? '+inf' : `(${to}`, '+inf')
          .zcount(key, '-inf', from === undefined ? '-inf' : `(${from}`)
          .zcount(key, from ?? '-inf', to ?? '+inf'),
      )
    ).map(Number);
    const first = reverse ? (to === undefined ? 0 : above) : from === undefined ? 0 : below;
    return [first, first + inside - 1];
  }

  /** Completed tasks in a time window: every task there but those of the states with a sorted set. */
  private async completedCount(from?: number, to?: number): Promise<number> {
    const min = from ?? '-inf';
    const max = to ?? '+inf';
    const pipeline = this.redis.pipeline().zcount(this.key('idx', 'time'), min, max);
    for (const state of RARE_STATES) pipeline.zcount(this.key('idx', 'state', state), min, max);
    const [all, ...rare] = (await values(pipeline)).map(Number);
    return all - rare.reduce((a, b) => a + b, 0);
  }

  /** Walks a sorted set from `first` to `last` through the scan script, a chunk a call; stops counting after COUNT_BUDGET rows. */
  private async walk(walk: Walk, budget = COUNT_BUDGET): Promise<{ slots: string[]; total: number; exact: boolean; scanned: number }> {
    const slots: string[] = [];
    let total = 0;
    let rank = walk.first;
    let scanned = 0;
    while (rank >= 0 && rank <= walk.last && scanned < budget && !(walk.stop && slots.length >= walk.keep)) {
      // Once `keep` are found the script only counts (0).
      const stillWanted = Math.max(0, walk.keep - slots.length);
      const reply = (await runScript(
        this.redis,
        'task-index-scan',
        [walk.key, this.key('rec')],
        [walk.reverse ? 1 : 0, rank, walk.last, walk.chunk, stillWanted, ...walk.window, ...walk.termArgs],
      )) as (string | number)[];
      const next = Number(reply[0]);
      scanned += (next < 0 ? walk.last + 1 : next) - rank;
      total += Number(reply[1]);
      slots.push(...(reply.slice(2) as string[]));
      rank = next;
    }
    return { slots, total, exact: rank < 0 || rank > walk.last, scanned };
  }

  /**
   * Sorted by name: names in byte order (from the counts), and within a name newest first (`-name`: the reverse of it
   * all). Without terms or a window the counts give the total and only the page's name is walked; else every name is
   * walked, within one budget of rows.
   */
  private async pageByName(
    request: IndexPageRequest,
    terms: SearchTerm[],
    termArgs: (list: SearchTerm[]) => string[],
  ): Promise<{ slots: string[]; total: number; exact: boolean }> {
    const reverse = request.sort === '-name';
    const skip = request.skip ?? 0;
    const want = Math.max(0, request.want);
    const chunk = request.chunk ?? 2000;
    const names = [...(await this.counts()).names].sort(([a], [b]) => bytes(a, b));
    if (reverse) names.reverse();
    const key = this.key('idx', 'time');
    const [first, last] = await this.ranks(key, !reverse, request.from, request.to);
    if (last < first) return { slots: [], total: 0, exact: true };
    const byName = (name: string, keep: number, stop: boolean, budget?: number) =>
      this.walk(
        { key, reverse: !reverse, first, last, window: ['', ''], termArgs: ['N', name, ...termArgs(terms)], keep, stop, chunk },
        budget,
      );
    const slots: string[] = [];
    if (!terms.length && request.from === undefined && request.to === undefined) {
      let toSkip = skip;
      for (const [name, count] of names) {
        if (slots.length >= want) break;
        if (toSkip >= count) {
          toSkip -= count;
          continue;
        }
        const walked = await byName(name, toSkip + want - slots.length, true);
        slots.push(...walked.slots.slice(toSkip));
        toSkip = 0;
      }
      return { slots: slots.slice(0, want), total: names.reduce((sum, [, count]) => sum + count, 0), exact: true };
    }
    let total = 0;
    let budget = COUNT_BUDGET;
    let exact = true;
    for (const [name] of names) {
      if (budget <= 0) {
        exact = false;
        break;
      }
      const walked = await byName(name, Math.max(0, skip + want - slots.length), false, budget);
      budget -= walked.scanned;
      exact &&= walked.exact;
      total += walked.total;
      slots.push(...walked.slots);
    }
    return { slots: slots.slice(skip, skip + want), total, exact };
  }

  /**
   * Every match of a search found through the trigram postings, as slots in ascending order of `sortKey` (ties in
   * slot order, as the sorted sets order them; by name: newest first within a name), or undefined when the postings
   * give more than CANDIDATE_LIMIT candidates (a broad search: walking a sorted set finds its first page sooner). Only
   * blocks that changed since this process last searched them the same way are looked in again (see SearchCache);
   * each Lua call checks about MATCH_CHUNK candidates.
   */
  private async searchPostings(request: IndexPageRequest, sortKey: string, termArgs: string[]): Promise<string[] | undefined> {
    const state = request.state ?? '';
    const sort = sortKey === 'runtime' || sortKey === 'name' ? sortKey : 'time';
    const [info, epoch] = (await values(this.redis.pipeline().hgetall(this.key('blk')).get(this.key('epoch')))) as [
      Record<string, string>,
      string | null,
    ];
    // The blocks whose tasks were submitted inside the window, newest first.
    const blocks = Object.entries(info)
      .map(([block, value]) => {
        const [, lo, hi, version] = value.split(' ');
        return { block: Number(block), lo: Number(lo), hi: Number(hi), version: version ?? '' };
      })
      .filter(({ lo, hi }) => !((request.from !== undefined && hi < request.from) || (request.to !== undefined && lo > request.to)))
      .sort((a, b) => b.block - a.block);
    const cached = searchCache.entry(this.redis, `${this.base}\n${epoch}\n${state}\n${sort}\n${termArgs.join('\n')}`);
    const stale = blocks.filter(({ block, version }) => cached.get(block)?.version !== version);
    let candidates = blocks.reduce(
      (sum, { block, version }) => sum + (cached.get(block)?.version === version ? cached.get(block)!.candidates : 0),
      0,
    );
    const call = async (mode: 'count' | 'match', list: number[], budget: number) =>
      (await runScript(this.redis, 'task-index-search', [], [this.base, mode, list.length, ...list, budget, state, sort, ...termArgs])) as (
        string | number
      )[];
    // A few hundred blocks a call (Lua's unpack has a limit on arguments).
    for (let i = 0; i < stale.length && candidates <= CANDIDATE_LIMIT; i += 500) {
      const [, counted] = await call(
        'count',
        stale.slice(i, i + 500).map(({ block }) => block),
        CANDIDATE_LIMIT - candidates,
      );
      candidates += Number(counted);
    }
    if (candidates > CANDIDATE_LIMIT) return undefined;
    let rest = stale;
    while (rest.length) {
      const reply = await call(
        'match',
        rest.slice(0, 500).map(({ block }) => block),
        MATCH_CHUNK,
      );
      let at = 1;
      for (const { version } of rest.slice(0, Number(reply[0]))) {
        const [block, count, found] = [Number(reply[at]), Number(reply[at + 1]), Number(reply[at + 2])];
        const matches: SearchMatch[] = [];
        for (let i = at + 3; i < at + 3 + found * 3; i += 3)
          matches.push({ slot: String(reply[i]), time: Number(reply[i + 1]), value: String(reply[i + 2]) });
        cached.set(block, { version, candidates: count, matches });
        at += 3 + found * 3;
      }
      rest = rest.slice(Number(reply[0]));
    }
    for (const block of cached.keys()) if (!info[block]) cached.delete(block);
    const inWindow = (time: number) =>
      (request.from === undefined || time >= request.from) && (request.to === undefined || time <= request.to);
    const matches = blocks.flatMap(({ block }) => cached.get(block)!.matches).filter(({ time }) => inWindow(time));
    // Slots are 10 digits: their text order is their number order.
    const bySlot = (a: { slot: string }, b: { slot: string }) => (a.slot < b.slot ? -1 : a.slot > b.slot ? 1 : 0);
    if (sort === 'name') matches.sort((a, b) => bytes(a.value, b.value) || b.time - a.time || bySlot(b, a));
    else if (sort === 'runtime') matches.sort((a, b) => Number(a.value) - Number(b.value) || bySlot(a, b));
    else matches.sort((a, b) => a.time - b.time || bySlot(a, b));
    return matches.map((match) => match.slot);
  }
}
