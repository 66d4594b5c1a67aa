// Live task events for `gwqueue events`: BullMQ's per-queue event streams read with one blocking XREAD, each event named and attributed to its worker.
import type { Redis } from 'ioredis';
import type { Config } from '../../config/index.js';
import { redactorFor, type Redactor } from '../../log/redact.js';
import type { TaskClient } from '../../queue/client.js';
import { createRedisConnection } from '../../redis/connection.js';

export interface TaskEvent {
  /** The event's stream ID (time-ordered within its queue). */
  eventId: string;
  /** When it happened (ms), from the stream ID. */
  time: number;
  queue: string;
  /** BullMQ's event name: added, waiting, delayed, active, progress, completed, failed, removed, stalled, paused, drained… */
  event: string;
  /** The task's ID; null for queue-level events (paused, resumed, drained, cleaned). */
  id: string | null;
  name: string | null;
  /** The worker running it (active, completed, failed). */
  worker: string | null;
  result?: unknown;
  error?: string;
  /** Other fields of the event (prev, delay, attemptsMade, count…). */
  extra: Record<string, string>;
}

/** Events that say nothing new about a task's state on their own. */
const ACTIVE_WORKER_EVENTS = new Set(['active', 'completed', 'failed']);
const NAME_CACHE_LIMIT = 20_000;

function fieldsOf(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return fields;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface EventStreamOptions {
  onEvent(event: TaskEvent): void;
  /** Called when reading starts failing (Redis gone); reading resumes by itself once it is back. */
  onError?(error: Error): void;
  /** How often to look for queues that appeared since the start (ms). */
  rescanMs?: number;
}

/** Reads every queue's event stream from "now" on, in order per queue; stop() ends it. */
export class TaskEventStream {
  private readonly connection: Redis;
  private readonly positions = new Map<string, string>();
  private readonly keys = new Map<string, string>();
  private readonly names = new Map<string, string>();
  private running = false;
  private loop?: Promise<void>;
  private lastScan = 0;
  private failing = false;
  /** What an event carries of a task (its result, its error) is shown: redacted as the logs are. */
  private readonly redactor: Redactor;

  constructor(
    private readonly client: TaskClient,
    config: Config,
    private readonly options: EventStreamOptions,
  ) {
    this.redactor = redactorFor(config);
    // XREAD BLOCK holds its connection: it gets one of its own, which waits for Redis and reconnects like a worker's.
    this.connection = createRedisConnection(config, 'worker');
  }

  /** Resolves once the starting positions are known: every event after that is delivered. */
  async start(): Promise<void> {
    await this.scanQueues();
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.connection.disconnect();
    await this.loop?.catch(() => {});
  }

  /** Remembers a task's name (the table knows names from its first load; saves a lookup). */
  rememberName(id: string, name: string): void {
    if (this.names.size > NAME_CACHE_LIMIT) this.names.clear();
    this.names.set(id, name);
  }

  private async scanQueues(): Promise<void> {
    this.lastScan = Date.now();
    const fresh = (await this.client.queueNames()).filter((queue) => !this.keys.has(queue));
    if (!fresh.length) return;
    const pipeline = this.connection.pipeline();
    for (const queue of fresh) pipeline.xrevrange(this.client.queue(queue).keys.events, '+', '-', 'COUNT', 1);
    const answers = (await pipeline.exec()) ?? [];
    fresh.forEach((queue, index) => {
      const last = answers[index]?.[1] as [string, string[]][] | undefined;
      this.keys.set(queue, this.client.queue(queue).keys.events);
      this.positions.set(queue, last?.[0]?.[0] ?? '0-0');
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (Date.now() - this.lastScan > (this.options.rescanMs ?? 5000)) await this.scanQueues();
        const queues = [...this.keys.keys()];
        const reply = (await this.connection.xread(
          'COUNT',
          1000,
          'BLOCK',
          1000,
          'STREAMS',
          ...queues.map((queue) => this.keys.get(queue)!),
          ...queues.map((queue) => this.positions.get(queue)!),
        )) as [string, [string, string[]][]][] | null;
        this.failing = false;
        if (!reply || !this.running) continue;
        for (const [key, entries] of reply) {
          const queue = queues.find((q) => this.keys.get(q) === key);
          if (!queue || !entries.length) continue;
          this.positions.set(queue, entries[entries.length - 1][0]);
          for (const event of await this.describe(queue, entries)) {
            if (!this.running) return;
            this.options.onEvent(event);
          }
        }
      } catch (error) {
        if (!this.running) return;
        // Once per outage, not every half second while Redis is away.
        if (!this.failing) this.options.onError?.(error as Error);
        this.failing = true;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Turns raw entries into events, looking up (in one pipeline) the names and workers the entries do not carry. */
  private async describe(queue: string, entries: [string, string[]][]): Promise<TaskEvent[]> {
    const raw = entries.map(([eventId, flat]) => ({ eventId, fields: fieldsOf(flat) }));
    for (const { fields } of raw) if (fields.event === 'added' && fields.jobId && fields.name) this.rememberName(fields.jobId, fields.name);
    const lookups = raw.filter(({ fields }) => fields.jobId && (!this.names.has(fields.jobId) || ACTIVE_WORKER_EVENTS.has(fields.event)));
    const found = new Map<string, { name: string | null; worker: string | null }>();
    if (lookups.length) {
      const bull = this.client.queue(queue);
      const pipeline = this.connection.pipeline();
      for (const { fields } of lookups) pipeline.hmget(bull.toKey(fields.jobId), 'name', 'pb');
      const answers = (await pipeline.exec()) ?? [];
      lookups.forEach(({ fields }, index) => {
        const [name, worker] = (answers[index]?.[1] as (string | null)[] | undefined) ?? [null, null];
        if (name) this.rememberName(fields.jobId, name);
        found.set(`${fields.jobId}:${fields.event}`, { name, worker });
      });
    }
    return raw.map(({ eventId, fields }) => {
      const { event, jobId, returnvalue, failedReason, name: _name, ...extra } = fields;
      const lookup = jobId ? found.get(`${jobId}:${event}`) : undefined;
      const described: TaskEvent = {
        eventId,
        time: Number(eventId.split('-')[0]),
        queue,
        event: event ?? 'unknown',
        id: jobId ?? null,
        name: jobId ? (this.names.get(jobId) ?? lookup?.name ?? null) : null,
        worker: ACTIVE_WORKER_EVENTS.has(event) ? (lookup?.worker ?? null) : null,
        extra,
      };
      if (event === 'completed') described.result = this.redactor.value(parseJson(returnvalue));
      if (event === 'failed') described.error = failedReason === undefined ? undefined : this.redactor.text(failedReason);
      return described;
    });
  }
}

/** One line per event for `events --dump`: time, queue, task ID, name, event, then what the event carries. */
export function formatEventLine(event: TaskEvent): string {
  const parts = [new Date(event.time).toISOString(), event.queue, event.id ?? '-', event.name ?? '-', event.event];
  if (event.worker) parts.push(`worker=${event.worker}`);
  if (event.event === 'completed') {
    const text = JSON.stringify(event.result) ?? 'null';
    parts.push(`result=${text.length > 200 ? `${text.slice(0, 199)}…` : text}`);
  }
  if (event.error !== undefined) parts.push(`error=${JSON.stringify(event.error)}`);
  for (const [key, value] of Object.entries(event.extra)) {
    if (key === 'prev' || key === 'attemptsMade' || key === 'count') parts.push(`${key}=${value}`);
    else if (key === 'delay') parts.push(`until=${new Date(Number(value)).toISOString()}`);
  }
  return parts.join(' ');
}
