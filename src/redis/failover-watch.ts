// One subscription per process to the Sentinels' +switch-master: connections still open to a master that was replaced (hung, or demoted while up) leave it and reconnect to the new one; master changes are counted for the worker.
import { Redis } from 'ioredis';
import type { Config } from '../config/index.js';

/**
 * ioredis' own failoverDetector is not used: it disconnects a connection whatever its state, and one caught in the
 * middle of a reconnect then gives up for good (status "end"). Here only connections that are ready, and on another
 * server than the new master, are told to reconnect; one that is reconnecting asks the Sentinels anyway.
 */
const watched = new Set<Redis>();
let subscribers: Redis[] = [];

/**
 * How many master changes this process has seen (a +switch-master, or a watched connection ready on another server
 * than the one before). A task attempt that spans a change may have read from a master that lacks writes the old one
 * had answered: the worker retries such an attempt's failure instead of taking it as final (worker/processor.ts).
 * Stays 0 without Sentinels.
 */
let epoch = 0;
let lastMaster: string | undefined;

export function failoverEpoch(): number {
  return epoch;
}

function masterSeenAt(endpoint: string): void {
  if (lastMaster !== undefined && lastMaster !== endpoint) epoch++;
  lastMaster = endpoint;
}

function endpointOf(redis: Redis): { address?: string; port?: number } {
  const stream = (redis as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  return { address: stream?.remoteAddress?.replace(/^::ffff:/, ''), port: stream?.remotePort };
}

/** The master named `name` moved to host:port: every ready connection elsewhere reconnects (and asks the Sentinels). */
export function followSwitch(message: string, name: string): number {
  const [switched, , , host, port] = message.split(' ');
  if (switched !== name) return 0;
  // Counted before any connection moves, so that no read on the new master comes before the count; once per switch
  // (each Sentinel announces it, up to a second or two apart: a task started in between did not span it).
  if (lastMaster !== `${host}:${port}`) epoch++;
  lastMaster = `${host}:${port}`;
  let moved = 0;
  for (const redis of watched) {
    if (redis.status !== 'ready') continue;
    const at = endpointOf(redis);
    if (at.port === Number(port) && (at.address === host || !at.address)) continue;
    redis.disconnect(true);
    moved++;
  }
  return moved;
}

function subscribe(config: Config): void {
  subscribers = config.redis.sentinels.map(({ host, port }) => {
    const sentinel = new Redis({
      host,
      port,
      connectTimeout: config.redis.connectTimeoutMs,
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(200 * times, 2000),
    });
    sentinel.on('error', () => {});
    sentinel.on('message', (channel: string, message: string) => {
      if (channel === '+switch-master') followSwitch(message, config.redis.sentinelName);
    });
    sentinel.subscribe('+switch-master').catch(() => {});
    return sentinel;
  });
}

/**
 * Watches a Sentinel-mode connection, and the connections made from it with duplicate() (BullMQ makes its blocking
 * ones so), until it ends. The subscriptions live while anything is watched, so that a short-lived CLI still exits.
 */
export function watchFailovers(redis: Redis, config: Config): Redis {
  if (!config.redis.sentinels.length) return redis;
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = (...args: Parameters<Redis['duplicate']>) => watchFailovers(duplicate(...args), config);
  watched.add(redis);
  // A connection that found the new master by itself (the old one died) may be ready before +switch-master arrives.
  redis.on('ready', () => {
    const at = endpointOf(redis);
    if (at.address && at.port) masterSeenAt(`${at.address}:${at.port}`);
  });
  if (!subscribers.length) subscribe(config);
  redis.once('end', () => {
    watched.delete(redis);
    if (watched.size) return;
    for (const sentinel of subscribers) sentinel.disconnect();
    subscribers = [];
  });
  return redis;
}
