// A bounded wait on Redis: its answer, or undefined once the time is up or on an error (a hung Redis never answers).

/** Resolves with what `promise` gives, or undefined if it fails or takes longer than `ms`; the timer never outlives it. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([promise.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}
