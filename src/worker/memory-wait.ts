// Waiting for a full Redis (maxmemory reached, noeviction) to take writes again: a task's attempt, and the worker's taking of new tasks, hold still meanwhile.
import type { Redis } from 'ioredis';
import { redisFault } from '../redis/errors.js';
import { noteRedisTrouble } from '../redis/trouble-clock.js';

export interface MemoryWait {
  redis: Redis;
  /** A key of this worker's own for the probe write. */
  probeKey: string;
  /** The longest pause between two probes. */
  maxBackoffMs: number;
  /** The worker is stopping: stop waiting (the attempt fails as Redis trouble and is picked up again later). */
  stopping(): boolean;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether Redis refuses a small write right now as out of memory (one probe). */
export async function refusesWrites(wait: MemoryWait): Promise<boolean> {
  try {
    await wait.redis.set(wait.probeKey, '1', 'PX', 60_000);
    return false;
  } catch (error) {
    return redisFault(error, true) === 'out-of-memory';
  }
}

/**
 * Waits until Redis takes a small write again (a full Redis refuses it: OOM), probing with a backoff up to
 * `maxBackoffMs`. True once it does; false when the worker stops or Redis trouble of another kind comes up (handled as
 * such). With `noeviction` memory comes back only when someone frees it or raises `maxmemory`: that can take hours,
 * and waiting inside the attempt spends none of the job's attempts on it.
 */
export async function waitForMemory(wait: MemoryWait): Promise<boolean> {
  for (let delay = 100; !wait.stopping(); delay = Math.min(2 * delay, wait.maxBackoffMs)) {
    await pause(delay);
    try {
      await wait.redis.set(wait.probeKey, '1', 'PX', 60_000);
      return true;
    } catch (error) {
      if (redisFault(error, true) !== 'out-of-memory') return false;
      noteRedisTrouble();
    }
  }
  return false;
}
