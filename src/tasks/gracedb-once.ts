// GraceDB writes made at most once per task: a task run again (worker killed, lock lost, retried) gets the first run's answer instead of writing twice.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { EmbeddedGraceDb, type GraceDb } from '../gracedb/index.js';
import { withWriteMark, type MarkRecord } from '../gracedb/embedded-write-mark.js';
import { currentTask } from '../queue/current-task.js';
import type { TaskContext } from '../queue/registry.js';
import { gracedbWriteMarkKey } from '../redis/keys.js';

/** The GraceDb methods that change GraceDB; reads always go through. */
export const GRACEDB_WRITES = [
  'createEvent',
  'addEventToSuperevent',
  'createSuperevent',
  'updateSuperevent',
  'addPipelinePreferredEvent',
  'createLabel',
  'removeLabel',
  'writeLog',
  'createVoevent',
] as const;
type WriteMethod = (typeof GRACEDB_WRITES)[number];

/** How long a write's mark is kept: longer than a task is ever retried or picked up again. */
export const WRITE_MARK_TTL_SECONDS = 24 * 3600;

/** Per run of a task (its context object): how often each identical write was made so far in this run. */
const occurrences = new WeakMap<TaskContext, Map<string, number>>();

/** A stable text for arguments: object keys sorted, file contents (Buffers) by their SHA-256. */
function canonical(value: unknown): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return { sha256: createHash('sha256').update(value).digest('hex') };
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** What identifies a write: its method and a digest of its arguments. */
export function writeIdentity(method: string, args: unknown[]): string {
  return `${method}:${createHash('sha256')
    .update(`${method}\n${JSON.stringify(canonical(args))}`)
    .digest('hex')
    .slice(0, 32)}`;
}

/** The Redis key that marks the n-th identical write of one task as done. */
export function writeMarkKey(config: Config, taskId: string, identity: string, occurrence: number): string {
  return gracedbWriteMarkKey(config, taskId, `${identity}:${occurrence}`);
}

/**
 * Wraps a GraceDb so that, inside a task, each write is made once: the n-th call of a method with the same arguments
 * is remembered (with its answer) under the task's ID, and a later run of the same task returns that answer without
 * calling GraceDB. Only an identical call is skipped, so a run that takes another path still makes its own writes.
 * Outside a task (CLI, web, tests calling functions directly) it passes every call through.
 */
export function oncePerTask(gracedb: GraceDb, redis: Redis, config: Config): GraceDb {
  const wrapped: Partial<Record<WriteMethod, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const method of GRACEDB_WRITES) {
    const write = (gracedb[method] as (...args: unknown[]) => Promise<unknown>).bind(gracedb);
    wrapped[method] = async (...args: unknown[]) => {
      const task = currentTask();
      if (!task) return write(...args);
      const counts = occurrences.get(task) ?? new Map<string, number>();
      occurrences.set(task, counts);
      const identity = writeIdentity(method, args);
      const occurrence = (counts.get(identity) ?? 0) + 1;
      counts.set(identity, occurrence);
      const key = writeMarkKey(config, task.id, identity, occurrence);
      const earlier = await redis.get(key);
      if (earlier !== null) {
        await task.log(`GraceDB ${method} was already done by an earlier run of this task; not repeated`).catch(() => {});
        const record = JSON.parse(earlier) as MarkRecord;
        // The embedded store rebuilds the answer when only its own mark survived (the answer written after it was lost,
        // e.g. by a failover); a REST GraceDB's mark always holds the answer.
        if (gracedb instanceof EmbeddedGraceDb) return gracedb.answerOfWritten(method, args, record);
        return 'answer' in record ? record.answer : undefined;
      }
      // The embedded GraceDB checks and sets the mark in the same script as the write itself: no failover or crash can
      // keep the write and lose its mark, and a write sent again after its answer was lost finds it and does nothing.
      // A REST GraceDB's write cannot share a step with Redis (reliability.md).
      if (gracedb instanceof EmbeddedGraceDb) {
        const answer = await withWriteMark({ key, ttlSeconds: WRITE_MARK_TTL_SECONDS }, () => write(...args));
        // Only over the store's own mark (XX): if a failover lost the write and its mark, this must not land alone on
        // the new master (the run made again there would take the write for done).
        await redis.set(key, JSON.stringify({ answer }), 'EX', WRITE_MARK_TTL_SECONDS, 'XX');
        return answer;
      }
      const answer = await write(...args);
      // Workers' connections wait for Redis to come back, so the mark lands even if Redis went away meanwhile.
      await redis.set(key, JSON.stringify({ answer }), 'EX', WRITE_MARK_TTL_SECONDS);
      return answer;
    };
  }
  return new Proxy(gracedb, {
    get(target, property, receiver) {
      const own = wrapped[property as WriteMethod];
      if (own) return own;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
