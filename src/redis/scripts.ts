// The one loader of our Lua scripts (src/redis/lua/*.lua): each read once, then called by its SHA1 with EVALSHA.
//
// The .lua files are the source of truth and are read where they are written, under the package (PACKAGE_ROOT), by
// src/ (tsx), dist/ and dist/bundle/ alike: nothing to copy at build time, nothing to keep in step. A line
// `--- @include "<name>"` is replaced by src/redis/lua/includes/<name>.lua, as in BullMQ's src/commands/*.lua.
//
// EVALSHA sends 40 characters instead of the whole text. A server that does not know the script (first use, a
// restart, a failover to a replica, SCRIPT FLUSH) answers NOSCRIPT without running anything, so running it then with
// EVAL (which also caches it on the server) is the same single run: exactly-once writes stay exactly-once.
// Not ioredis' defineCommand: a pipeline built from a connection copies every script defined on it (queue/client.ts),
// and the connections are shared with BullMQ's own; a plain function on the connection it is given adds nothing.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { PACKAGE_ROOT } from '../config/index.js';

/** Every script, by its file name in src/redis/lua/. */
export const SCRIPT_NAMES = [
  'actions-release-claim',
  'actions-take-over-claim',
  'alerts-send-once',
  'audit-append-once',
  'gracedb-add-event',
  'gracedb-add-label',
  'gracedb-add-pipeline-preferred',
  'gracedb-add-voevent',
  'gracedb-create-event',
  'gracedb-create-superevent',
  'gracedb-remove-event',
  'gracedb-remove-label',
  'gracedb-replace-event',
  'gracedb-replace-log-entry',
  'gracedb-set-exposed',
  'gracedb-sign-off',
  'gracedb-update-superevent',
  'gracedb-write-log',
  'queue-first-existing',
  'queue-mark-stopped',
  'task-index-remove',
  'task-index-reserve',
  'task-index-scan',
  'task-index-search',
  'task-index-trim',
  'task-index-upsert',
  'tasks-release-lock',
] as const;

export type ScriptName = (typeof SCRIPT_NAMES)[number];

export const LUA_DIR = path.join(PACKAGE_ROOT, 'src', 'redis', 'lua');

interface Script {
  text: string;
  sha: string;
}

const loaded = new Map<ScriptName, Script>();

/** The text of `name.lua` with its includes in place (each include once, at its first mention). */
function readScript(file: string, included = new Set<string>()): string {
  return readFileSync(file, 'utf8').replace(/^--- @include "([a-z0-9-]+)"$/gm, (_line, include: string) => {
    if (included.has(include)) return '';
    included.add(include);
    return readScript(path.join(LUA_DIR, 'includes', `${include}.lua`), included).trimEnd();
  });
}

/** A script as sent to Redis, read on first use and kept for the life of the process. */
export function script(name: ScriptName): Script {
  let found = loaded.get(name);
  if (!found) {
    const text = readScript(path.join(LUA_DIR, `${name}.lua`));
    found = { text, sha: createHash('sha1').update(text).digest('hex') };
    loaded.set(name, found);
  }
  return found;
}

/** Runs a script: EVALSHA, and EVAL when the server answers NOSCRIPT (it ran nothing). */
export async function runScript(redis: Redis, name: ScriptName, keys: string[], args: (string | number | Buffer)[]): Promise<unknown> {
  const { text, sha } = script(name);
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!/^NOSCRIPT/.test((error as Error).message)) throw error;
    return redis.eval(text, keys.length, ...keys, ...args);
  }
}
