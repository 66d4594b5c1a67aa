// A short Redis lock (SET NX PX + compare-and-delete) so that only one worker at a time groups events of a category.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { TransientError } from '../queue/errors.js';
import { runScript } from '../redis/scripts.js';

export interface LockOptions {
  /** The lock expires by itself after this long, should its holder die. */
  ttlMs?: number;
  /** Give up waiting after this long (a TransientError: the task is retried later). */
  waitMs?: number;
}

/** Runs `fn` while holding the lock `key`; waits for it when another holder has it. */
export async function withLock<T>(redis: Redis, key: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const token = randomUUID();
  const ttlMs = options.ttlMs ?? 60_000;
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  let pause = 10;
  while ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw new TransientError(`lock ${key} is still held by another worker`);
    await new Promise((resolve) => setTimeout(resolve, pause + Math.random() * pause));
    pause = Math.min(pause * 2, 200);
  }
  try {
    return await fn();
  } finally {
    await runScript(redis, 'tasks-release-lock', [key], [token]).catch(() => {});
  }
}
