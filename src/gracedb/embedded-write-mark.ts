// The record that a task's GraceDB write was done, written by the embedded GraceDB in the same atomic step as the write.
import { AsyncLocalStorage } from 'node:async_hooks';

/** Where the write's record goes (a Redis key in the store's slot) and how long it is kept. */
export interface WriteMark {
  key: string;
  ttlSeconds: number;
}

/**
 * What the store puts in the record with the write: enough for a later run to rebuild the write's answer if the
 * answer itself (written just after) was lost, e.g. by a failover between the two.
 */
export interface WrittenMark {
  written: number | string;
}

/** The embedded GraceDB's writes that record themselves atomically when a mark is given. */
export const SELF_MARKING_WRITES: readonly string[] = ['createEvent', 'writeLog', 'removeLabel'];

const current = new AsyncLocalStorage<{ mark?: WriteMark }>();

/** Runs one write with a mark: the embedded store sets it in the same MULTI or script as the write. */
export function withWriteMark<T>(mark: WriteMark, write: () => Promise<T>): Promise<T> {
  return current.run({ mark }, write);
}

/** The mark of the write under way, taken once: anything the write calls in turn does not get it. */
export function takeWriteMark(): WriteMark | undefined {
  const holder = current.getStore();
  const mark = holder?.mark;
  if (holder) holder.mark = undefined;
  return mark;
}
