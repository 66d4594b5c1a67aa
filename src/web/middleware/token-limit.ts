// Failed API-token attempts per client address, counted in Redis (express-rate-limit + rate-limit-redis) so that the limit holds across console processes.
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { rateLimit, type RateLimitInfo } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Config } from '../../config/index.js';
import { libraryPrefixes } from '../../redis/keys.js';
import { logger } from '../../log/logger.js';
import { clientAddress } from './identity.js';

export const TOKEN_FAILURE_WINDOW_MS = 60_000;

/**
 * rate-limit-redis loads its Lua script once, when the limiter is built; the console may be built before Redis answers
 * (or Redis may restart). A load that failed is tried again on the next count instead of failing every count after it.
 */
class ReloadingRedisStore extends RedisStore {
  // A console started while Redis is away: the first load fails, and express-rate-limit would print its stack trace to
  // the terminal. The outage is told once already (redis/outage-log.ts); the script is loaded at the first count.
  override async init(options: Parameters<RedisStore['init']>[0]) {
    await super.init(options).catch(() => undefined);
  }

  override async increment(key: string) {
    try {
      await this.incrementScriptSha;
    } catch {
      this.incrementScriptSha = this.loadIncrementScript(key);
    }
    return super.increment(key);
  }
}

/**
 * Counts a wrong API token against its client address. Resolves true when this request is over the limit and was
 * answered 429 (with Retry-After); false when the caller should answer 401 as usual. Only wrong tokens are counted:
 * a valid token is never limited (a script sharing an address with a guesser keeps working), and guessing a token of
 * at least 16 characters at 10 a minute is hopeless anyway; the limit keeps the logs and the audit log readable.
 * While Redis is down nothing is counted (passOnStoreError): the 401 still stands.
 */
export function tokenFailureLimit(config: Config, redis: Redis, onLimited: (req: Request, address: string) => Promise<unknown>) {
  const log = logger('web');
  const limit = config.auth.tokenFailuresPerMinute;
  const limiter = rateLimit({
    windowMs: TOKEN_FAILURE_WINDOW_MS,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    passOnStoreError: true,
    // The address the identity middleware settled on (X-Forwarded-For only from trusted proxies).
    keyGenerator: (req) => clientAddress(req),
    validate: { keyGeneratorIpFallback: false, xForwardedForHeader: false, trustProxy: false, ip: false },
    store: new ReloadingRedisStore({
      prefix: libraryPrefixes.tokenFailures(config),
      sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
    }),
    handler: async (req, res) => {
      const address = clientAddress(req);
      // The first refusal of a window is logged and audited; the rest would only flood both.
      if ((req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.used === limit + 1) {
        log.warn({ address, limit, path: req.path }, 'too many invalid API tokens: refusing this address for a minute');
        await onLimited(req, address).catch(() => {});
      }
      res
        .status(429)
        .type('application/json')
        .send({ error: `too many invalid API tokens from ${address}; try again later`, status: 429 });
    },
  });
  return (req: Request, res: Response): Promise<boolean> =>
    new Promise<boolean>((resolve, reject) => {
      // The limiter calls next() when under the limit, or answers 429 itself and only settles its promise.
      const counted = limiter(req, res, (error?: unknown) => (error ? reject(error) : resolve(false))) as unknown as Promise<void>;
      counted.then(() => resolve(res.headersSent), reject);
    });
}
