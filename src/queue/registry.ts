// The task registry: each task is defined once (dotted name, queue, argument schema, retry policy, function).
import { z } from 'zod';
import { TaskArgumentError, UnknownTaskError } from './errors.js';
import type { Signature, ApplyOptions } from './types.js';
import { currentClient } from './current-client.js';
import type { AsyncResult } from './async-result.js';
import type { Config } from '../config/index.js';

/** GWCelery's default queue: a task that names no queue runs here. */
export const DEFAULT_QUEUE = 'celery';

export interface QueueSpec {
  name: string;
  /** Tasks at once per worker, as GWCelery's worker for this queue runs them; null: GWQUEUE_CONCURRENCY. */
  concurrency: number | null;
  /** What runs there and why it has a queue of its own (the docs' queue table). */
  purpose: string;
}

/**
 * GWCelery's queues (its HTCondor submit file starts one worker per queue). Every one of them must be served: monitoring
 * expects them all, even those none of our tasks use yet (a deployment keeps the same shape when one is added).
 */
export const QUEUES: readonly QueueSpec[] = [
  { name: 'celery', concurrency: null, purpose: 'everything else: GraceDB calls, circulars, mock events' },
  { name: 'superevent', concurrency: 1, purpose: 'the superevent manager, one event at a time' },
  { name: 'exttrig', concurrency: 1, purpose: 'external triggers (GRB, SNEWS) and RAVEN, one at a time' },
  { name: 'em-bright', concurrency: 2, purpose: 'source classification (em_bright)' },
  { name: 'highmem', concurrency: 2, purpose: 'memory-hungry sky map work' },
  { name: 'openmp', concurrency: 1, purpose: 'localization (BAYESTAR), multi-threaded: one task per node' },
  { name: 'multiprocessing', concurrency: 1, purpose: 'sky maps from samples, multi-process: one task per node' },
  { name: 'kafka', concurrency: 1, purpose: 'alert sending, the one process that holds the alert sink' },
  { name: 'voevent', concurrency: 1, purpose: 'VOEvent (GCN Classic) broadcasting' },
];

/** Known queue names: GWCelery's, in its order, then any other queue a registered task names (a test's own). */
export function knownQueues(): string[] {
  const table = QUEUES.map((queue) => queue.name);
  return [...table, ...registeredQueues().filter((queue) => !table.includes(queue))];
}

/** Tasks a worker runs at once on `queue`: GWQUEUE_QUEUE_CONCURRENCY, else the table's, else GWQUEUE_CONCURRENCY. */
export function queueConcurrency(config: Config, queue: string): number {
  return config.worker.queueConcurrency[queue] ?? QUEUES.find((spec) => spec.name === queue)?.concurrency ?? config.worker.concurrency;
}

/** Queue names in GWQUEUE_QUEUE_CONCURRENCY that no table row or task uses (a typo would silently keep the default). */
export function unknownConfiguredQueues(config: Config): string[] {
  const known = knownQueues();
  return Object.keys(config.worker.queueConcurrency).filter((queue) => !known.includes(queue));
}

/** What a running task may know about itself. */
export interface TaskContext {
  id: string;
  name: string;
  queue: string;
  attempt: number;
  worker: string;
  hostname: string;
  /** When the task was submitted (ms): the same in every run of it. */
  submittedAt: number;
  /** Progress/log line shown on the task page. */
  log(message: string): Promise<void>;
}

export interface RetryPolicy {
  /** Total attempts for transient errors (1 = never retry). Defaults to the configured GWQUEUE_RETRY_ATTEMPTS. */
  attempts?: number;
  /** First retry delay in ms; doubles each attempt. */
  backoffMs?: number;
}

type Shape = Record<string, z.ZodType>;
export type TaskArgs<S extends Shape> = z.infer<z.ZodObject<S>>;

export interface TaskDefinition<S extends Shape> {
  name: string;
  queue?: string;
  description: string;
  /** Parameters in positional order: Celery's args bind to them in this order, kwargs by name. */
  params: S;
  retry?: RetryPolicy;
  /** Hidden from `call` suggestions and the console's lists (canvas helpers). */
  internal?: boolean;
  run(args: TaskArgs<S>, ctx: TaskContext): Promise<unknown>;
}

const tasks = new Map<string, Task>();

/** A registered task: a definition plus Celery's calling API (delay, applyAsync, s, si). */
export class Task<S extends Shape = Shape> {
  readonly name: string;
  readonly queue: string;
  readonly description: string;
  readonly paramNames: string[];
  readonly retry: RetryPolicy;
  readonly internal: boolean;
  private readonly schema: z.ZodObject<S>;

  constructor(private readonly definition: TaskDefinition<S>) {
    this.name = definition.name;
    this.queue = definition.queue ?? DEFAULT_QUEUE;
    this.description = definition.description;
    this.paramNames = Object.keys(definition.params);
    this.retry = definition.retry ?? {};
    this.internal = definition.internal ?? false;
    this.schema = z.strictObject(definition.params);
  }

  /**
   * Binds positional args and kwargs to named parameters and validates them. With `leadingUnknown` the first
   * parameter is left out (a chain step whose first argument is its predecessor's result, known only at run time).
   */
  bind(args: unknown[], kwargs: Record<string, unknown>, options: { leadingUnknown?: boolean } = {}): TaskArgs<S> {
    const names = options.leadingUnknown ? this.paramNames.slice(1) : this.paramNames;
    const problems: string[] = [];
    if (!Array.isArray(args)) problems.push('args must be a JSON array');
    if (!kwargs || typeof kwargs !== 'object' || Array.isArray(kwargs)) problems.push('kwargs must be a JSON object');
    if (problems.length) throw new TaskArgumentError(this.name, problems);
    if (args.length > names.length) {
      problems.push(
        `takes ${names.length} positional argument${names.length === 1 ? '' : 's'} (${names.join(', ') || 'none'}) but ${args.length} were given`,
      );
    }
    const bound: Record<string, unknown> = {};
    args.forEach((value, index) => {
      if (index < names.length) bound[names[index]] = value;
    });
    for (const [key, value] of Object.entries(kwargs)) {
      if (!names.includes(key)) problems.push(`unexpected keyword argument "${key}"`);
      else if (key in bound) problems.push(`got multiple values for argument "${key}"`);
      else bound[key] = value;
    }
    if (problems.length) throw new TaskArgumentError(this.name, problems);
    const schema =
      options.leadingUnknown && this.paramNames.length ? this.schema.omit({ [this.paramNames[0]]: true } as never) : this.schema;
    const parsed = schema.safeParse(bound);
    if (!parsed.success) {
      throw new TaskArgumentError(
        this.name,
        parsed.error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`),
      );
    }
    return parsed.data as TaskArgs<S>;
  }

  run(args: TaskArgs<S>, ctx: TaskContext): Promise<unknown> {
    return this.definition.run(args, ctx);
  }

  /** A signature whose first argument will be the predecessor's result when used in a chain. */
  s(...args: unknown[]): Signature {
    return { kind: 'signature', task: this.name, args, kwargs: {}, options: {}, immutable: false };
  }

  /** An immutable signature: ignores its predecessor's result. */
  si(...args: unknown[]): Signature {
    return { kind: 'signature', task: this.name, args, kwargs: {}, options: {}, immutable: true };
  }

  /** A signature with kwargs and options, like Celery's `task.signature(args, kwargs, **options)`. */
  signature(args: unknown[] = [], kwargs: Record<string, unknown> = {}, options: ApplyOptions = {}, immutable = false): Signature {
    return { kind: 'signature', task: this.name, args, kwargs, options, immutable };
  }

  delay(...args: unknown[]): Promise<AsyncResult> {
    return currentClient().apply(this.si(...args));
  }

  applyAsync(options: ApplyOptions & { args?: unknown[]; kwargs?: Record<string, unknown> } = {}): Promise<AsyncResult> {
    const { args = [], kwargs = {}, ...rest } = options;
    return currentClient().apply(this.signature(args, kwargs, rest, true));
  }
}

export function defineTask<S extends Shape>(definition: TaskDefinition<S>): Task<S> {
  if (!/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(definition.name)) {
    throw new Error(`task name "${definition.name}" must be dotted lowercase, e.g. gwqueue.tasks.core.ping`);
  }
  if (tasks.has(definition.name)) throw new Error(`task "${definition.name}" is defined twice`);
  const task = new Task(definition);
  tasks.set(task.name, task as unknown as Task);
  queueNames = undefined;
  return task;
}

export function hasTask(name: string): boolean {
  return tasks.has(name);
}

export function getTask(name: string): Task {
  const task = tasks.get(name);
  if (!task) throw new UnknownTaskError(name, closestTaskNames(name));
  return task;
}

export function allTasks(): Task[] {
  return [...tasks.values()];
}

/** Every queue of the table plus those registered tasks use: what workers serve by default and monitoring expects served. */
export function registeredQueues(): string[] {
  return [...registeredQueueSet()];
}

/** Kept until the next defineTask: every enqueue asks whether its queue is a registered one. */
let queueNames: ReadonlySet<string> | undefined;

/** registeredQueues() as a set (sorted), computed once per task registered rather than once per call. */
export function registeredQueueSet(): ReadonlySet<string> {
  queueNames ??= new Set([...new Set([...QUEUES.map((queue) => queue.name), ...allTasks().map((task) => task.queue)])].sort());
  return queueNames;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** Registered names closest to a mistyped one: same last segment first, then by edit distance. */
export function closestTaskNames(name: string, limit = 3): string[] {
  const wanted = name.toLowerCase();
  const lastSegment = wanted.split('.').pop() ?? wanted;
  return allTasks()
    .filter((task) => !task.internal)
    .map((task) => {
      const candidate = task.name.toLowerCase();
      const candidateLast = candidate.split('.').pop() ?? candidate;
      const distance = Math.min(editDistance(wanted, candidate), editDistance(lastSegment, candidateLast) + 1);
      return { name: task.name, distance };
    })
    .filter((entry) => entry.distance <= Math.max(3, Math.floor(wanted.length / 3)))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((entry) => entry.name);
}
