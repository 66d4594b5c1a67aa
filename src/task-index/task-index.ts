// The dashboard's index of finished and running tasks in Redis: sorted sets by time, state, queue, name and runtime, a compact searchable record per task, and trigram postings for search.
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Redactor } from '../log/redact.js';
import { taskIndexBase } from '../redis/keys.js';
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
export function summarizeJob(job: Job, state: string, redactor: Redactor, outcome: { result?: unknown; error?: string } = {}): TaskSummary {
  const data = (job.data ?? {}) as Partial<JobData>;
  const kwargs = data.kwargs && Object.keys(data.kwargs).length ? ` ${shownJson(data.kwargs, redactor, 400)}` : '';
  const finished = state === 'completed' || state === 'failed';
  const result =
    state === 'completed' ? shownJson(outcome.result !== undefined ? outcome.result : (job.returnvalue ?? null), redactor, 400) : null;
  return {
    id: job.id!,
    name: job.name,
    queue: job.queueName,
    state,
    args: clip(`${shownJson(data.args ?? [], redactor, 400)}${kwargs}`, 400),
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

/** The lower-cased text the search runs over: "\x1ft=<ms>\x1fi=<id>\x1fn=<name>…\x1f" (see SEARCH_FIELDS for the codes). */
export function searchRecord(task: TaskSummary): string {
  const clean = (value: string | null | number) =>
    String(value ?? '')
      .toLowerCase()
      .replaceAll(FIELD_SEPARATOR, ' ');
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
  return `${FIELD_SEPARATOR}${parts.map(([code, value]) => `${code}=${clean(value)}`).join(FIELD_SEPARATOR)}${FIELD_SEPARATOR}`;
}

/** The same matching as the Lua scan, for tasks read from BullMQ directly. */
export function matchesTerms(record: string, terms: SearchTerm[]): boolean {
  const field = (code: string) => {
    const start = record.indexOf(`${FIELD_SEPARATOR}${code}=`);
    if (start < 0) return '';
    const end = record.indexOf(FIELD_SEPARATOR, start + 1);
    return record.slice(start + 3, end < 0 ? undefined : end);
  };
  return terms.every(({ field: name, text }) => {
    if (!name) return record.indexOf(text, record.indexOf(FIELD_SEPARATOR, 1)) >= 0;
    const code = SEARCH_FIELDS[name];
    return code === 's' ? field(code) === text : field(code).includes(text);
  });
}

/** Name index member: sorts by name, then newest first, and ends with the ID. */
export function nameMember(task: Pick<TaskSummary, 'name' | 'submittedAt' | 'id'>): string {
  return `${task.name}\x01${String(9_999_999_999_999 - task.submittedAt).padStart(13, '0')}\x01${task.id}`;
}

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
  /** Matches in all: exact unless the count was cut short (`exact` false: at least that many). */
  total: number;
  exact: boolean;
}

/** Above this many candidates from the postings, a search walks its sorted set instead (see TaskIndex.searchPostings). */
const CANDIDATE_LIMIT = 20_000;
/** Candidates checked per Lua call: a few milliseconds of Redis time. */
const MATCH_CHUNK = 2000;

/** The index itself; all keys live under `{prefix}:flower:`. */
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
    const args: (string | number | Buffer)[] = [this.base, 0, 4 + entries.length * 9];
    // Trigram (its 3 bytes as one number) -> bitmap over the batch's positions.
    const postings = new Map<number, Buffer>();
    const width = Math.ceil(entries.length / 8);
    entries.forEach(({ task, version }, position) => {
      const { id, state, submittedAt, runtimeMs, queue } = task;
      const record = searchRecord(task);
      args.push(id, version, state, submittedAt, runtimeMs ?? '', queue, nameMember(task), JSON.stringify(task), record);
      // The trigrams of what free text matches (after the time field), as bytes: as the Lua scripts cut them.
      const from = record.indexOf(FIELD_SEPARATOR, 1);
      // Most records are ASCII: their characters are their bytes.
      const text = Buffer.byteLength(record) === record.length ? undefined : Buffer.from(record.slice(from));
      const byte = text ? (i: number) => text[i] : (i: number) => record.charCodeAt(from + i);
      const length = text ? text.length : record.length - from;
      for (let i = 0; i + 3 <= length; i++) {
        const trigram = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        let bits = postings.get(trigram);
        if (!bits) postings.set(trigram, (bits = Buffer.alloc(width)));
        bits[position >> 3] |= 128 >> (position & 7);
      }
    });
    for (const [trigram, bits] of postings) args.push(Buffer.from([trigram >> 16, (trigram >> 8) & 255, trigram & 255]), bits);
    args[1] = args.length + 1;
    if (counters.length) args.push(...counters);
    return Number(await runScript(this.redis, 'task-index-upsert', [], args));
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
    const docs = await this.redis.hmget(this.key('doc'), ...ids);
    return docs.filter((doc): doc is string => typeof doc === 'string').map((doc) => JSON.parse(doc) as TaskSummary);
  }

  /** Which of these IDs the index holds. */
  async has(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hexists(this.key('doc'), id);
    const replies = await values(pipeline);
    return new Set(ids.filter((_, index) => replies[index] === 1));
  }

  async size(): Promise<number> {
    return this.redis.zcard(this.key('idx', 'time'));
  }

  /** The first `want` matching IDs in the requested order, and how many match in all. */
  async page(request: IndexPageRequest): Promise<IndexPage> {
    const sortKey = request.sort.replace('-', '');
    const reverse = request.sort.startsWith('-');
    let terms = request.terms;
    let key: string;
    let first = 0;
    let last: number;
    let window: [string, string] = ['', ''];
    if (sortKey === 'time') {
      key = request.state ? this.key('idx', 'state', request.state) : this.key('idx', 'time');
      if (request.state) terms = terms.filter((t) => !(t.field === 'state' && t.text === request.state));
      const min = request.from ?? '-inf';
      const max = request.to ?? '+inf';
      const [above, below, inside] = (
        await values(
          this.redis
            .pipeline()
            .zcount(key, request.to === undefined ? '+inf' : `(${request.to}`, '+inf')
            .zcount(key, '-inf', request.from === undefined ? '-inf' : `(${request.from}`)
            .zcount(key, min, max),
        )
      ).map(Number);
      first = reverse ? (request.to === undefined ? 0 : above) : request.from === undefined ? 0 : below;
      last = first + inside - 1;
    } else {
      key = this.key('idx', sortKey === 'runtime' ? 'runtime' : 'name');
      if (request.state) terms = [...terms.filter((t) => t.field !== 'state'), { field: 'state', text: request.state }];
      last = (await this.redis.zcard(key)) - 1;
      window = [request.from === undefined ? '' : String(request.from), request.to === undefined ? '' : String(request.to)];
    }
    if (last < first) return { ids: [], total: 0, exact: true };
    const skip = request.skip ?? 0;

    // No filter left to check one by one: the sorted set answers directly, by rank.
    if (!terms.length && !window[0] && !window[1]) {
      const begin = first + skip;
      const stop = Math.min(last, begin + request.want - 1);
      const members =
        request.want <= 0 || begin > last
          ? []
          : reverse
            ? await this.redis.zrange(key, begin, stop, 'REV')
            : await this.redis.zrange(key, begin, stop);
      // Name index members end with "\x01id".
      const ids = sortKey === 'name' ? members.map((member) => member.slice(member.lastIndexOf('\x01') + 1)) : members;
      return { ids, total: last - first + 1, exact: true };
    }

    const termArgs = terms.flatMap((t) => [t.field ? SEARCH_FIELDS[t.field] : '', t.text]);
    // A term of 3 bytes or more has trigrams: its candidates come from the postings, when they are few enough.
    // Rows written before the postings existed (their records by ID, in "text") are found only by walking.
    if (terms.some((t) => Buffer.byteLength(t.text) >= 3) && (await this.redis.hlen(this.key('text'))) === 0) {
      const found = await this.searchPostings(request, sortKey, termArgs);
      if (found) {
        const ordered = reverse ? found.reverse() : found;
        return { ids: ordered.slice(skip, skip + Math.max(0, request.want)), total: found.length, exact: true };
      }
    }
    // A few milliseconds of Redis time per call at most: the scan never holds up the workers for long.
    const chunk = request.chunk ?? 2000;
    const ids: string[] = [];
    let total = 0;
    let rank = first;
    let scanned = 0;
    const countBudget = 250_000;
    while (rank >= 0 && rank <= last && scanned < countBudget) {
      const stillWanted = Math.max(0, skip + request.want - ids.length);
      const reply = (await runScript(
        this.redis,
        'task-index-scan',
        [key, this.key('ver'), this.key('rec'), this.key('text')],
        [reverse ? 1 : 0, rank, last, chunk, stillWanted, window[0], window[1], ...termArgs],
      )) as (string | number)[];
      const next = Number(reply[0]);
      scanned += (next < 0 ? last + 1 : next) - rank;
      total += Number(reply[1]);
      ids.push(...(reply.slice(2) as string[]));
      rank = next;
    }
    return { ids: ids.slice(skip), total, exact: rank < 0 || rank > last };
  }

  /**
   * Every match of a search found through the trigram postings, in ascending order of `sortKey` (as its sorted set
   * orders them), or undefined when the postings give more than CANDIDATE_LIMIT candidates (a broad search: walking a
   * sorted set finds its first page sooner). Each Lua call checks about MATCH_CHUNK candidates.
   */
  private async searchPostings(request: IndexPageRequest, sortKey: string, termArgs: string[]): Promise<string[] | undefined> {
    const state = request.state ?? '';
    const window = [request.from ?? '', request.to ?? ''];
    const sort = sortKey === 'runtime' || sortKey === 'name' ? sortKey : 'time';
    const call = async (mode: 'count' | 'match', block: number | '', budget: number) =>
      (await runScript(this.redis, 'task-index-search', [], [this.base, mode, block, budget, ...window, state, sort, ...termArgs])) as (
        string | number
      )[];
    const [, candidates] = await call('count', '', CANDIDATE_LIMIT);
    if (Number(candidates) > CANDIDATE_LIMIT) return undefined;
    const matches: { id: string; time: number; value: string }[] = [];
    let block: number | '' = '';
    do {
      const reply = await call('match', block, MATCH_CHUNK);
      block = Number(reply[0]);
      for (let i = 2; i < reply.length; i += 3)
        matches.push({ id: String(reply[i]), time: Number(reply[i + 1]), value: String(reply[i + 2]) });
    } while (block >= 0);
    // Byte order, as Redis orders members with equal scores.
    const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    if (sort === 'name') matches.sort((a, b) => bytes(a.value, b.value));
    else if (sort === 'runtime') matches.sort((a, b) => Number(a.value) - Number(b.value) || bytes(a.id, b.id));
    else matches.sort((a, b) => a.time - b.time || bytes(a.id, b.id));
    return matches.map((match) => match.id);
  }
}
