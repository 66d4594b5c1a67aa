// How full Redis is: used memory against `maxmemory` (INFO memory), read by the health check and the metrics.
import type { Redis } from 'ioredis';

export interface RedisMemory {
  /** `used_memory`: what Redis counts against `maxmemory`. */
  usedBytes: number;
  /** `maxmemory`; 0: no limit (Redis grows until the host runs out, then the kernel kills it). */
  maxBytes: number;
  /** `maxmemory-policy`; BullMQ needs `noeviction`, under which a full Redis refuses writes (OOM). */
  policy: string;
}

/** The fields of one INFO section as a map. */
function infoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/** Parses `INFO memory`. */
export function parseMemoryInfo(text: string): RedisMemory {
  const fields = infoFields(text);
  const number = (name: string) => Number.parseInt(fields.get(name) ?? '0', 10) || 0;
  return { usedBytes: number('used_memory'), maxBytes: number('maxmemory'), policy: fields.get('maxmemory_policy') ?? 'unknown' };
}

/** Reads used memory and its limit (one INFO round trip: no write, so a full Redis answers it too). */
export async function readRedisMemory(redis: Redis): Promise<RedisMemory> {
  return parseMemoryInfo(await redis.info('memory'));
}
