// The record that a task's GraceDB write was done, written by the embedded GraceDB in the same atomic step as the write.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Redis } from 'ioredis';
import { runScript, type ScriptName } from '../redis/scripts.js';

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

/** What a mark holds: the store's record of the write, or (set after it by the task) the write's whole answer. */
export type MarkRecord = WrittenMark | { answer: unknown };

/** A marked script's answer (src/redis/lua/gracedb-*.lua, includes/marked.lua): its own reply, or the mark of the run that already did the write. */
export type MarkedReply = { done: false; reply: unknown } | { done: true; earlier: MarkRecord };

/** Runs a `marked` write script with the mark of the write under way, if there is one (or the one given). */
export async function evalMarked(
  redis: Redis,
  script: ScriptName,
  keys: string[],
  args: (string | number | Buffer)[],
  mark: WriteMark | undefined = takeWriteMark(),
): Promise<MarkedReply> {
  const reply = mark
    ? await runScript(redis, script, [...keys, mark.key], [...args, String(mark.ttlSeconds)])
    : await runScript(redis, script, keys, [...args, '0']);
  if (Array.isArray(reply) && reply[0] === 'marked') return { done: true, earlier: JSON.parse(String(reply[1])) as MarkRecord };
  return { done: false, reply };
}
