// The error every Redis-facing path turns a refused, lost or timed-out connection into.

/** Redis could not be reached (CLI exit 69, web 503). */
export class RedisUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnavailableError';
  }
}
