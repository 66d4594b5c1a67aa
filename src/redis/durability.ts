// Whether Redis keeps an answered write through a crash of its process (appendonly, appendfsync): warned at start, never fatal.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { within } from './within.js';

/**
 * What a crash of the Redis process could lose, by its persistence settings, or undefined when an answered write is on
 * disk before the answer (`appendonly yes`, `appendfsync always`). Undefined too when Redis does not say (CONFIG
 * disabled, as some hosted services do, or Redis away): a warning must not stand in for knowledge.
 */
export async function writesAtRisk(redis: Redis, timeoutMs = 2000): Promise<string | undefined> {
  const answer = await within(redis.config('GET', 'append*') as Promise<unknown>, timeoutMs);
  if (!Array.isArray(answer)) return undefined;
  const setting = (name: string) => {
    const at = answer.indexOf(name);
    return at >= 0 && at % 2 === 0 ? String(answer[at + 1]) : undefined;
  };
  const appendOnly = setting('appendonly');
  const fsync = setting('appendfsync');
  if (appendOnly === 'no')
    return 'Redis has appendonly no: a restart of Redis loses every task, result and submission made since its last snapshot';
  if (appendOnly === 'yes' && fsync && fsync !== 'always')
    return (
      `Redis has appendfsync ${fsync}: a Redis process killed while its disk is busy loses up to 2 s of writes it had ` +
      'already answered (accepted submissions among them)'
    );
  return undefined;
}

/** Logs writesAtRisk once, as a warning with the fix; in the background, so it never holds a start. */
export function warnIfWritesAtRisk(redis: Redis, log: Logger): void {
  void writesAtRisk(redis).then((risk) => {
    if (risk) log.warn({ fix: 'appendonly yes, appendfsync always (docs/deployment.md)' }, risk);
  });
}
