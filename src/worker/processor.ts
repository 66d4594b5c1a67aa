// Runs one BullMQ job as a registered task: expiry, predecessor results, argument checks, transient-vs-final errors, attempts a Redis failover cut through.
import os from 'node:os';
import { UnrecoverableError, type Job } from 'bullmq';
import type { JobData } from '../queue/canvas.js';
import { isRedisTrouble, isTransient, TaskArgumentError, UnknownTaskError } from '../queue/errors.js';
import { redisFault } from '../redis/errors.js';
import { refusesWrites, waitForMemory, type MemoryWait } from './memory-wait.js';
import { getTask, type Task, type TaskContext } from '../queue/registry.js';
import { runAsTask } from '../queue/current-task.js';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { failoverEpoch } from '../redis/failover-watch.js';
import { lastRedisTroubleAt, noteRedisTrouble } from '../redis/trouble-clock.js';
import { confirmReplication, markReplication } from '../redis/replication.js';

/**
 * Wraps an error as final (never retried), keeping its message and stack trace, and the task's own error as `cause`:
 * BullMQ needs an UnrecoverableError, but Sentry reports the cause (its own type, message and GraceDB answer).
 */
function final(error: unknown): UnrecoverableError {
  const message = error instanceof Error ? error.message : String(error);
  const wrapped = new UnrecoverableError(message);
  if (error instanceof Error && error.stack) wrapped.stack = error.stack;
  wrapped.cause = error;
  return wrapped;
}

/** The results of the job's children, in the order the canvas gave them. */
async function predecessorArguments(job: Job<JobData>): Promise<unknown[]> {
  const meta = job.data.meta;
  if (!meta || meta.predecessor === 'none') return [];
  const values = await job.getChildrenValues();
  const entries = Object.entries(values);
  if (meta.predecessor === 'single') return [entries[0]?.[1] ?? null];
  const order = meta.childOrder ?? [];
  return [order.map((id) => entries.find(([key]) => key.endsWith(`:${id}`))?.[1] ?? null)];
}

/** Thrown after an attempt that a Redis failover cut through: retried (like Redis trouble), never final. */
class FailoverDuringRunError extends Error {
  constructor(detail: string) {
    super(`the Redis master changed during this run (${detail}): run again, so that writes the old master lost are made`);
    this.name = 'FailoverDuringRunError';
  }
}

/**
 * Thrown for a transient failure while Redis was in trouble, or shortly after: what the task waited for (another step,
 * its grouping task) may have been held up by Redis. Retried within the job's attempts for Redis trouble, and not
 * counted against the task's own attempts (its name marks the attempt in the job's stack traces).
 */
class HeldUpByRedisError extends Error {
  constructor(error: unknown) {
    super(`${error instanceof Error ? error.message : String(error)} (Redis was in trouble meanwhile: run again)`, { cause: error });
    this.name = 'HeldUpByRedisError';
  }
}

/**
 * Earlier attempts of this job that Redis trouble ended or held up, read from the stack traces BullMQ keeps per
 * failed attempt: they do not count against the task's own attempts, or a Redis outage (a full Redis, a restart) would
 * use them up and fail for good a task that only waited for Redis.
 */
function attemptsLostToRedis(job: Job<JobData>): number {
  let count = 0;
  for (const trace of job.stacktrace ?? []) {
    const first = String(trace ?? '').split('\n', 1)[0];
    if (first.startsWith('HeldUpByRedisError:') || first.startsWith('FailoverDuringRunError:')) count++;
    else if (isRedisTrouble({ message: first.replace(/^\w+: /, '') })) count++;
  }
  return count;
}

/** On the task's page: why this attempt is run again (not awaited: the new master may still be settling). */
function noteFailover(job: Job<JobData>, detail: string): void {
  void job.log(`Redis failover during this run, so it runs again (${detail})`).catch(() => {});
}

/** What a worker gives its processor besides its name and the tasks' default attempts. */
export interface ProcessorOptions {
  /**
   * Sentinel mode only: at the end of each attempt, one replica must confirm the attempt's writes (replication.ts,
   * bounded by REDIS_REPLICA_WAIT_MS); an attempt during which the master changed is run again.
   */
  replication?: { redis: Redis; config: Config };
  /** How long after Redis trouble a transient failure is taken as held up by it (see HeldUpByRedisError). */
  heldUpWindowMs?: number;
  /** Where an attempt that a full Redis refused waits for memory (see waitForMemory). */
  memory?: MemoryWait;
}

/** `defaultAttempts`: a task's own attempts for transient errors other than Redis trouble, when it names none. */
export function createProcessor(workerName: string, defaultAttempts: number, options: ProcessorOptions = {}) {
  const { replication, heldUpWindowMs = 0, memory } = options;
  const hostname = os.hostname();
  return async function process(job: Job<JobData>): Promise<unknown> {
    let task: Task;
    try {
      task = getTask(job.name);
    } catch (error) {
      if (error instanceof UnknownTaskError) throw final(new Error(`no task "${job.name}" is registered on worker ${workerName}`));
      throw error;
    }
    const data = job.data ?? ({} as JobData);
    const expiresAt = data.meta?.expiresAt;
    if (expiresAt && Date.now() > expiresAt) {
      throw final(new Error(`expired at ${new Date(expiresAt).toISOString()} before it could run`));
    }
    let args: ReturnType<Task['bind']>;
    try {
      args = task.bind([...(await predecessorArguments(job)), ...(data.args ?? [])], data.kwargs ?? {});
    } catch (error) {
      if (error instanceof TaskArgumentError) throw final(error);
      throw error;
    }
    const context: TaskContext = {
      id: job.id!,
      name: job.name,
      queue: job.queueName,
      attempt: job.attemptsMade + 1,
      worker: workerName,
      hostname,
      submittedAt: job.timestamp,
      log: async (message: string) => {
        await job.log(message);
      },
    };
    const epoch = failoverEpoch();
    const startedAt = Date.now();
    /** What BullMQ is given for a failed attempt: retried (Redis trouble, a failover, held up; transient) or final. */
    const failure = (error: unknown, since: number, atStart: number): unknown => {
      // Redis trouble is retried up to the job's attempts (set for it); other transient errors up to the task's own.
      if (isRedisTrouble(error)) {
        noteRedisTrouble();
        return error;
      }
      // A Redis failover during this attempt: what it read may have missed writes the old master had answered (its own
      // included), so its failure says nothing final. Retried like Redis trouble; the next attempt runs on one master.
      if (failoverEpoch() !== atStart) {
        noteFailover(job, `it failed: ${String((error as Error)?.message ?? error).slice(0, 200)}`);
        return error;
      }
      // Redis in trouble during this attempt or shortly before: what the task waited for may have been held up by it.
      if (isTransient(error) && lastRedisTroubleAt() >= since - heldUpWindowMs) return new HeldUpByRedisError(error);
      const own = data.meta?.attempts ?? task.retry.attempts ?? defaultAttempts;
      if (isTransient(error) && job.attemptsMade - attemptsLostToRedis(job) + 1 < own) return error;
      return final(error);
    };
    const mark = replication ? markReplication(replication.redis) : undefined;
    let result: unknown;
    for (;;) {
      try {
        // A context object of its own per run: what a run counts by it (gracedb-once.ts: the n-th identical write) starts
        // again, so that a run after waiting for memory finds the first run's writes instead of making new ones.
        const run: TaskContext = { ...context };
        result = await runAsTask(run, () => task.run(args, run));
        break;
      } catch (error) {
        // A full Redis refused a write: the attempt waits until Redis takes writes again, then runs the task again
        // (what it did before the refusal is not done twice: the write records, the outbox). Retrying instead would
        // spend the job's attempts on refusals: 20 at most 5 s apart last less than two minutes.
        // The same for a transient failure while Redis is full: what the task waits for (its event's grouping) is held
        // up until memory is back.
        const full =
          memory &&
          (redisFault(error) === 'out-of-memory' || (isTransient(error) && !isRedisTrouble(error) && (await refusesWrites(memory))));
        if (memory && full) {
          noteRedisTrouble();
          if (await waitForMemory(memory)) continue;
        }
        throw failure(error, startedAt, epoch);
      }
    }
    if (mark && replication) {
      // A write the old master answered and never passed on is missing on the new one, though this run went on (its
      // next commands went to the new master): the run is made again, and the GraceDB writes and alerts that did
      // survive are not repeated (gracedb-once.ts, the outbox). The wait also holds the step's end until a replica has
      // its writes, so that the next step never starts from a master that could lose them.
      const confirmed = await confirmReplication(mark, replication.config);
      const changed =
        failoverEpoch() !== epoch
          ? 'the Sentinels switched masters'
          : confirmed.state === 'unconfirmed' && /connection to Redis changed/.test(confirmed.reason)
            ? confirmed.reason
            : undefined;
      if (changed) {
        noteFailover(job, `it completed, but ${changed}`);
        throw new FailoverDuringRunError(changed);
      }
    }
    return result;
  };
}
