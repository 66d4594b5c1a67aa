// The producer side of the engine: enqueues signatures and canvases, finds tasks by ID whatever their queue.
import { FlowProducer, Job, Queue, QueueEvents, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { buildFlow, type Canvas, type JobData } from './canvas.js';
import { TASK_ID } from './types.js';
import { asRedisUnavailable, createRedisConnection, describeRedis, waitUntilReady } from '../redis/connection.js';
import { RedisUnavailableError } from '../redis/errors.js';
import { bullPrefix, extraQueuesKey } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import { getTask, registeredQueues, registeredQueueSet } from './registry.js';
import { AsyncResult } from './async-result.js';
import { setCurrentClient } from './current-client.js';

/** The backoff the worker computes: doubling from the task's first delay, capped (worker/run-worker.ts). */
export const BACKOFF_TYPE = 'gwqueue';

export interface SubmitOptions {
  /** Who asked for it (operator user name, OS user for the CLI); shown on the task page and in the audit log. */
  submittedBy?: string;
  /**
   * The task's ID, chosen beforehand (an idempotency claim records it). Enqueueing the same canvas with the same ID
   * again adds nothing (BullMQ keeps one job per ID; the other steps' IDs derive from it): a retry after a lost
   * answer cannot make a second task.
   */
  id?: string;
}

/** How long a queue's event stream stays open after its last waiter (TaskClient.waitOnEvents): a minute. */
const EVENTS_IDLE_MS = 60_000;

/** How many enqueued tasks' queues a client remembers (TaskClient.readTask). */
const REMEMBERED_TASKS = 10_000;

/** What TaskClient.readTask read. */
export interface TaskReading {
  job: Job;
  /** BullMQ's state of the job when read ("unknown" when it vanished between the reads). */
  state: string;
  logs: string[];
}

export class TaskClient {
  readonly prefix: string;
  private readonly queues = new Map<string, Queue>();
  private readonly queueEvents = new Map<string, QueueEvents>();
  private flowProducer?: FlowProducer;
  private readonly eventsConnections = new Map<string, Redis>();
  /** How many waiters each queue's event stream has (waitOnEvents), and the timer that closes one nobody waits on. */
  private readonly eventWaiters = new Map<string, number>();
  private readonly eventsIdle = new Map<string, NodeJS.Timeout>();
  /** How long a queue's event stream stays open after its last waiter (tests shorten it). */
  eventsIdleMs = EVENTS_IDLE_MS;
  /** Queue names read within the last second: task pages poll findJob many times a second. */
  private recentQueueNames?: { at: number; names: string[] };
  /**
   * The queue of each task this client enqueued lately (a task's queue never changes): the page an operator is sent to
   * after submitting polls it, and reads it without first asking Redis which queue holds it.
   */
  private readonly enqueuedIn = new Map<string, string>();
  /** The IDs remembered, oldest next: a ring, so that forgetting the oldest takes no search. */
  private readonly enqueuedOrder: string[] = [];
  private enqueuedNext = 0;

  constructor(
    readonly config: Config,
    readonly redis: Redis,
  ) {
    this.prefix = bullPrefix(config);
  }

  /**
   * Job options every task gets: retention from config, backoff from its retry policy, and attempts enough for Redis
   * trouble (GWQUEUE_RETRY_REDIS_ATTEMPTS); the worker holds other transient errors to the task's own attempts.
   */
  jobOptions(taskName: string): JobsOptions {
    const task = getTask(taskName);
    const retention = { age: this.config.results.ttlSeconds, count: this.config.results.maxCount };
    return {
      attempts: Math.max(task.retry.attempts ?? this.config.retry.attempts, this.config.retry.redisAttempts),
      // Exponential up to GWQUEUE_RETRY_MAX_BACKOFF_MS: the worker's backoffStrategy (worker/run-worker.ts).
      backoff: { type: BACKOFF_TYPE, delay: task.retry.backoffMs ?? this.config.retry.backoffMs },
      removeOnComplete: retention,
      removeOnFail: retention,
    };
  }

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.redis, prefix: this.prefix });
      queue.on('error', () => {});
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** BullMQ waits for a connection that is down; a producer must answer at once instead. */
  private ensureConnected(): void {
    if (this.redis.status !== 'ready') throw new RedisUnavailableError(`cannot reach Redis at ${describeRedis(this.config)}`);
  }

  /** Enqueues a signature or a canvas; validates every step first, so nothing is enqueued for bad input. */
  async apply(canvas: Canvas, options: SubmitOptions = {}): Promise<AsyncResult> {
    const built = buildFlow(canvas, {
      submittedBy: options.submittedBy,
      rootId: options.id,
      now: Date.now(),
      jobOptions: (name) => this.jobOptions(name),
      attempts: (name) => getTask(name).retry.attempts ?? this.config.retry.attempts,
    });
    const known = registeredQueueSet();
    const extra = [...new Set(built.steps.map((step) => step.queue))].filter((queue) => !known.has(queue));
    this.ensureConnected();
    try {
      if (extra.length) await this.redis.sadd(extraQueuesKey(this.config), ...extra);
      if (!built.root.children?.length) {
        const { name, queueName, data, opts } = built.root;
        await this.queue(queueName).add(name, data as JobData, opts);
      } else {
        this.flowProducer ??= new FlowProducer({ connection: this.redis, prefix: this.prefix });
        await this.flowProducer.add(built.root);
      }
    } catch (error) {
      throw asRedisUnavailable(error, this.config);
    }
    for (const step of built.steps) this.remember(step.id, step.queue);
    return new AsyncResult(built.rootId, this);
  }

  /**
   * This client, except that its next apply() gives the task this ID (unless told another): an operator action
   * enqueues under the ID its idempotency claim recorded, without knowing about claims.
   */
  withTaskId(id: string): TaskClient {
    const bound = Object.create(this) as TaskClient;
    let used = false;
    bound.apply = (canvas, options = {}) => {
      const given = used ? options : { id, ...options };
      used = true;
      return this.apply(canvas, given);
    };
    return bound;
  }

  /** Every queue a task may be in: the registered ones plus any used through an explicit queue option. */
  async queueNames(): Promise<string[]> {
    const extra = await this.redis.smembers(extraQueuesKey(this.config));
    return [...new Set([...registeredQueues(), ...extra])].sort();
  }

  /** The queue that holds a job with this ID, or undefined: one EXISTS per queue, in one script. */
  async queueOf(id: string): Promise<string | undefined> {
    if (!TASK_ID.test(id)) return undefined;
    this.ensureConnected();
    const lookup = async (names: string[]) => {
      const at = Number(
        await runScript(
          this.redis,
          'queue-first-existing',
          names.map((name) => `${this.prefix}:${name}:${id}`),
          [],
        ),
      );
      return at > 0 ? names[at - 1] : undefined;
    };
    try {
      const recent = this.recentQueueNames && Date.now() - this.recentQueueNames.at < 1000 ? this.recentQueueNames.names : undefined;
      // A queue first used less than a second ago may be missing from the remembered names: then ask again.
      const found = recent ? await lookup(recent) : undefined;
      if (found) return found;
      const names = await this.queueNames();
      this.recentQueueNames = { at: Date.now(), names };
      return await lookup(names);
    } catch (error) {
      throw asRedisUnavailable(error, this.config);
    }
  }

  /** Finds a job by ID alone: the queue that has it, then the job. */
  async findJob(id: string): Promise<Job | undefined> {
    const queue = await this.queueOf(id);
    if (!queue) return undefined;
    try {
      return await Job.fromId(this.queue(queue), id);
    } catch (error) {
      throw asRedisUnavailable(error, this.config);
    }
  }

  private remember(id: string, queue: string): void {
    // The same ID enqueued again (a resubmission under its claimed ID) is in the same queue.
    if (this.enqueuedIn.has(id)) return;
    // Not the Map's own order: taking its first key walks past every key deleted before it (7.6 µs an enqueue
    // against 0.4 once 10,000 are remembered).
    const oldest = this.enqueuedOrder[this.enqueuedNext];
    if (oldest !== undefined) this.enqueuedIn.delete(oldest);
    this.enqueuedOrder[this.enqueuedNext] = id;
    this.enqueuedNext = (this.enqueuedNext + 1) % REMEMBERED_TASKS;
    this.enqueuedIn.set(id, queue);
  }

  /**
   * A task's job, state and latest log lines (up to `logLines`), read together in one round trip when this client
   * enqueued the task; undefined when no queue holds it.
   */
  async readTask(id: string, logLines: number): Promise<TaskReading | undefined> {
    if (!TASK_ID.test(id)) return undefined;
    const known = this.enqueuedIn.get(id);
    const reading = await this.readTaskIn(known ?? (await this.queueOf(id)), id, logLines);
    if (reading || !known) return reading;
    // Removed after its retention (or by an operator): forgotten, and looked for as any other ID.
    this.enqueuedIn.delete(id);
    return this.readTaskIn(await this.queueOf(id), id, logLines);
  }

  private async readTaskIn(queueName: string | undefined, id: string, logLines: number): Promise<TaskReading | undefined> {
    if (!queueName) return undefined;
    this.ensureConnected();
    const queue = this.queue(queueName);
    // BullMQ's getJobLogs reads through a MULTI, which on this connection first copies BullMQ's scripts onto itself
    // (docs/performance.md): the lines are read plainly instead (their count, which it reads too, is not shown).
    try {
      const [job, state, logs] = await Promise.all([
        Job.fromId(queue, id),
        queue.getJobState(id),
        this.redis.lrange(queue.toKey(`${id}:logs`), 0, logLines - 1),
      ]);
      return job ? { job, state, logs } : undefined;
    } catch (error) {
      throw asRedisUnavailable(error, this.config);
    }
  }

  /** Loads a job when its queue is known (chain steps record theirs). */
  async findJobIn(queueName: string, id: string): Promise<Job | undefined> {
    return Job.fromId(this.queue(queueName), id);
  }

  /** QueueEvents for a queue, on a shared blocking connection created on first use. */
  events(queueName: string): QueueEvents {
    let events = this.queueEvents.get(queueName);
    if (!events) {
      // QueueEvents blocks on XREAD, so it gets a connection of its own that waits for Redis like a worker's.
      const connection = createRedisConnection(this.config, 'worker');
      this.eventsConnections.set(queueName, connection);
      events = new QueueEvents(queueName, { connection, prefix: this.prefix });
      events.on('error', () => {});
      this.queueEvents.set(queueName, events);
    }
    return events;
  }

  /**
   * The queue's event stream for one waiter, who calls `release` when done. A stream reads every job's events of its
   * queue: one nobody has waited on for eventsIdleMs is closed (the next waiter opens it again).
   */
  waitOnEvents(queueName: string): { events: QueueEvents; release(): void } {
    clearTimeout(this.eventsIdle.get(queueName));
    this.eventsIdle.delete(queueName);
    const events = this.events(queueName);
    this.eventWaiters.set(queueName, (this.eventWaiters.get(queueName) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (this.eventWaiters.get(queueName) ?? 1) - 1;
      if (left > 0) return void this.eventWaiters.set(queueName, left);
      this.eventWaiters.delete(queueName);
      const idle = setTimeout(() => this.closeEvents(queueName), this.eventsIdleMs);
      idle.unref();
      this.eventsIdle.set(queueName, idle);
    };
    return { events, release };
  }

  private closeEvents(queueName: string): void {
    this.eventsIdle.delete(queueName);
    const events = this.queueEvents.get(queueName);
    const connection = this.eventsConnections.get(queueName);
    this.queueEvents.delete(queueName);
    this.eventsConnections.delete(queueName);
    // Its connection first: closing the stream alone waits for Redis, which may be away.
    connection?.disconnect();
    void events?.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.eventsIdle.forEach((idle) => clearTimeout(idle));
    await Promise.allSettled([...this.queueEvents.values()].map((events) => events.close()));
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
    await this.flowProducer?.close().catch(() => {});
    this.eventsConnections.forEach((connection) => connection.disconnect());
    this.redis.disconnect();
  }
}

/** Connects a producer client (fails fast with RedisUnavailableError) and makes it the current one. */
export async function connectClient(config: Config, options: { waitMs?: number } = {}): Promise<TaskClient> {
  const redis = createRedisConnection(config, 'producer');
  try {
    await waitUntilReady(redis, config, options.waitMs);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const client = new TaskClient(config, redis);
  setCurrentClient(client);
  return client;
}
