// Redis key names: everything is under `{prefix}` so that all keys hash to one Redis Cluster slot.
import type { Config } from '../config/index.js';

/** BullMQ's prefix: the configured prefix wrapped in a Cluster hash tag. */
export function bullPrefix(config: Config): string {
  return `{${config.prefix}}`;
}

export function keyOf(config: Config, ...parts: string[]): string {
  return [bullPrefix(config), ...parts].join(':');
}

export const workerKeys = {
  /** Sorted set: worker name → last heartbeat (ms). Lets the dashboard list workers seen in the last day. */
  seen: (config: Config) => keyOf(config, 'workers'),
  /** String with a short TTL: present while the worker is alive. */
  alive: (config: Config, name: string) => keyOf(config, 'worker', name, 'alive'),
  /** Last heartbeat payload (JSON), kept for a day so offline workers can still be shown. */
  info: (config: Config, name: string) => keyOf(config, 'worker', name, 'info'),
  /** A small write (expires in a minute) that tells a worker waiting on a full Redis when it takes writes again. */
  memoryProbe: (config: Config, name: string) => keyOf(config, 'worker', name, 'memory-probe'),
};

/** Set of queues used with an explicit `queue` option that no registered task names. */
export const extraQueuesKey = (config: Config) => keyOf(config, 'queues');
