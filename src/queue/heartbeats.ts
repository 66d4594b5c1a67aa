// Worker heartbeats in Redis (written by workers, read by status, monitoring and the dashboard): a short-lived "alive" key, a day-long info record, and a last-seen sorted set.
import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { workerKeys } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';

/** Worker names end up in the dashboard, logs and control replies: `name@host`-like, no markup, spaces or control characters. */
export const WORKER_NAME = /^[\w.@:+-]{1,128}$/;

export interface WorkerStats {
  active: number;
  processed: number;
  succeeded: number;
  failed: number;
  retried: number;
}

/**
 * A listener or sink a worker holds besides its queues (the alert sink today; GWCelery's Kafka, IGWN alert and VOEvent
 * bootsteps report theirs in `inspect stats`): its health as of the last heartbeat. Monitoring alarms on `ok: false`.
 */
export interface ComponentHealth {
  kind: 'sink' | 'listener';
  name: string;
  ok: boolean;
  /** One line for operators: what it is and how it fares (last delivery, last failure). */
  detail: string;
}

export interface HeartbeatPayload extends WorkerStats {
  name: string;
  hostname: string;
  pid: number;
  queues: string[];
  /** The largest of queueConcurrency (a worker started with -c N: N). */
  concurrency: number;
  /** Tasks at once per served queue (absent from workers of older versions). */
  queueConcurrency?: Record<string, number>;
  /** 'stopped' is written at a clean shutdown, so monitoring can tell a stop from a crash. */
  status: 'online' | 'stopping' | 'stopped';
  startedAt: string;
  lastHeartbeat: string;
  version: string;
  loadAverage: number[];
  memoryRss: number;
  /** Listeners and sinks this worker holds, with their health (absent: none). */
  components?: ComponentHealth[];
}

/** How long a worker's "alive" key lives: three missed beats and it is offline. */
export function aliveTtlMs(config: Config): number {
  return config.worker.heartbeatMs * 3;
}

const DAY_SECONDS = 86_400;

export async function sendHeartbeat(redis: Redis, config: Config, payload: HeartbeatPayload): Promise<void> {
  const json = JSON.stringify(payload);
  await redis
    .multi()
    .set(workerKeys.alive(config, payload.name), json, 'PX', aliveTtlMs(config))
    .set(workerKeys.info(config, payload.name), json, 'EX', DAY_SECONDS)
    .zadd(workerKeys.seen(config), Date.now(), payload.name)
    .exec();
}

/** At a clean shutdown: offline at once (not after the TTL), and marked 'stopped' so that it is not taken for a crash. */
export async function clearHeartbeat(redis: Redis, config: Config, payload: HeartbeatPayload): Promise<void> {
  await redis
    .multi()
    .del(workerKeys.alive(config, payload.name))
    .set(workerKeys.info(config, payload.name), JSON.stringify({ ...payload, status: 'stopped', active: 0 }), 'EX', DAY_SECONDS)
    .exec();
}

/**
 * A clean stop's mark written after the fact (it could not reach Redis when the worker stopped): true when the record
 * was still that of the stopped run, and is now marked 'stopped'.
 */
export async function markStoppedLater(redis: Redis, config: Config, stopped: HeartbeatPayload): Promise<boolean> {
  const marked = await runScript(
    redis,
    'queue-mark-stopped',
    [workerKeys.alive(config, stopped.name), workerKeys.info(config, stopped.name)],
    [stopped.startedAt, JSON.stringify({ ...stopped, status: 'stopped', active: 0 }), String(DAY_SECONDS)],
  );
  return marked === 1;
}

export interface SeenWorker {
  name: string;
  online: boolean;
  lastSeen: number;
  info: HeartbeatPayload | null;
}

/** Every worker seen since `sinceMs` (default: the last day), online or not, with its last heartbeat. */
export async function seenWorkers(redis: Redis, config: Config, sinceMs = Date.now() - DAY_SECONDS * 1000): Promise<SeenWorker[]> {
  const flat = await redis.zrangebyscore(workerKeys.seen(config), sinceMs, '+inf', 'WITHSCORES');
  const entries: { name: string; lastSeen: number }[] = [];
  for (let i = 0; i < flat.length; i += 2) entries.push({ name: flat[i], lastSeen: Number(flat[i + 1]) });
  if (!entries.length) return [];
  const pipeline = redis.pipeline();
  for (const { name } of entries) pipeline.exists(workerKeys.alive(config, name)).get(workerKeys.info(config, name));
  const answers = (await pipeline.exec()) ?? [];
  return entries.map(({ name, lastSeen }, index) => {
    const raw = answers[index * 2 + 1]?.[1];
    return {
      name,
      lastSeen,
      online: answers[index * 2]?.[1] === 1,
      info: typeof raw === 'string' ? (JSON.parse(raw) as HeartbeatPayload) : null,
    };
  });
}

/** Forgets an offline worker (dashboard "forget" button). */
export async function forgetWorker(redis: Redis, config: Config, name: string): Promise<void> {
  await redis.multi().zrem(workerKeys.seen(config), name).del(workerKeys.info(config, name)).exec();
}

export function hostSnapshot(): Pick<HeartbeatPayload, 'hostname' | 'pid' | 'loadAverage' | 'memoryRss'> {
  return { hostname: os.hostname(), pid: process.pid, loadAverage: os.loadavg(), memoryRss: process.memoryUsage().rss };
}

export interface LiveWorker {
  name: string;
  info: HeartbeatPayload;
}

/** Workers whose heartbeat has not expired, by name. */
export async function liveWorkers(redis: Redis, config: Config): Promise<LiveWorker[]> {
  const since = Date.now() - DAY_SECONDS * 1000;
  const names = await redis.zrangebyscore(workerKeys.seen(config), since, '+inf');
  if (!names.length) return [];
  const values = await redis.mget(...names.map((name) => workerKeys.alive(config, name)));
  return names
    .map((name, index) => ({ name, raw: values[index] }))
    .filter((entry): entry is { name: string; raw: string } => typeof entry.raw === 'string')
    .map((entry) => ({ name: entry.name, info: JSON.parse(entry.raw) as HeartbeatPayload }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
