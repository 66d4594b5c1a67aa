// Idempotency keys of operator actions: a form's one-time token, an API client's Idempotency-Key, a retried task's ID; claimed once (SET NX), so a double click enqueues once.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { keyOf } from '../redis/keys.js';

const TTL_SECONDS = 24 * 3600;
const PENDING = 'pending';

export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

const key = (config: Config, token: string) => keyOf(config, 'submission', token);

export type Claim = { fresh: true } | { fresh: false; taskId: string | null };

/** Atomically claims a token (any key: `retry:<task ID>` for retries); a token already used answers with the task it produced (null while in flight). */
export async function claimToken(redis: Redis, config: Config, token: string): Promise<Claim> {
  const set = await redis.set(key(config, token), PENDING, 'EX', TTL_SECONDS, 'NX');
  if (set === 'OK') return { fresh: true };
  for (let i = 0; i < 20; i++) {
    const value = await redis.get(key(config, token));
    if (value && value !== PENDING) return { fresh: false, taskId: value };
    if (!value) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { fresh: false, taskId: null };
}

export async function recordToken(redis: Redis, config: Config, token: string, taskId: string): Promise<void> {
  await redis.set(key(config, token), taskId, 'EX', TTL_SECONDS);
}

/** Frees a claimed token when nothing was enqueued, so that the operator can simply try again. */
export async function releaseToken(redis: Redis, config: Config, token: string): Promise<void> {
  await redis.del(key(config, token)).catch(() => {});
}
