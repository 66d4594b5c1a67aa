// The tests' one way to wait for something: poll until it holds (eventually), and a fixed pause for pacing only (sleep).

/**
 * Waits a fixed time: only for pacing (a client's retry interval, a fault's length, a time difference a check needs),
 * never to let something happen or not happen; for that, wait for an event with `eventually()`.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls until the check returns a truthy value, or fails after the timeout naming `label` and the check's last error.
 * A check that throws is tried again: it may fail while what it reads is still coming up.
 */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
  label = 'condition',
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(intervalMs);
  }
}
