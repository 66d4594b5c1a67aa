// Commands issued in one go leave in one socket write: the connection is corked while they are sent.
import type { Redis } from 'ioredis';

/**
 * Runs `send`, which issues Redis commands without awaiting between them, with the connection's socket corked, so
 * that they go out in one write (one system call, and Redis reads them in one go) rather than one write each. An
 * ioredis pipeline would do the same but, on a connection that carries BullMQ's scripts, copies them all first (see
 * docs/performance.md). A connection that is not ready queues the commands itself: nothing to cork.
 */
export function sentTogether<T>(redis: Redis, send: () => T): T {
  const socket = redis.status === 'ready' ? (redis.stream as { cork?(): void; uncork?(): void } | undefined) : undefined;
  socket?.cork?.();
  try {
    return send();
  } finally {
    socket?.uncork?.();
  }
}
