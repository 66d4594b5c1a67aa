// Worker heartbeats in Redis (written by workers, read by status, monitoring and the dashboard): a short-lived "alive" key, a day-long info record, and a last-seen sorted set.
import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { workerKeys } from './keys.js';

export interface WorkerStats {
  active: number;
  processed: number;
  succeeded: number;
  failed: number;
  retried: number;
}

export interface HeartbeatPayload extends WorkerStats {
  name: string;
  hostname: string;
  pid: number;
  queues: string[];
  concurrency: number;
  status: 'online' | 'stopping';
  startedAt: string;
  lastHeartbeat: string;
  version: string;
  loadAverage: number[];
  memoryRss: number;
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

/** Removes the alive key at a clean shutdown, so the worker shows offline at once rather than after its TTL. */
export async function clearHeartbeat(redis: Redis, config: Config, name: string): Promise<void> {
  await redis.del(workerKeys.alive(config, name));
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
