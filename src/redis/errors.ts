// The error every Redis-facing path turns a refused, lost or timed-out connection into.

/** Redis could not be reached (CLI exit 69, web 503). */
export class RedisUnavailableError extends Error {
  /** Inside a worker, Redis trouble is worth a retry with backoff, never a final failure (queue/errors.ts). */
  readonly transient = true;
  constructor(
    message: string,
    /** A command went out and no answer came back: it may have been done (an enqueue may exist). */
    readonly uncertain = false,
    /** What an operator is told, when more is known than "Redis did not answer" (a write no replica confirmed). */
    readonly explanation?: string,
  ) {
    super(message);
    this.name = 'RedisUnavailableError';
  }
}
