// Every Lua script of src/redis/lua/, by name, and a way to put them all in a server's script cache.
import { readdirSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { LUA_DIR, script, type ScriptName } from '../../src/redis/scripts.js';

export const SCRIPT_NAMES = readdirSync(LUA_DIR)
  .filter((file) => file.endsWith('.lua'))
  .map((file) => file.slice(0, -'.lua'.length) as ScriptName);

/**
 * Loads every script, so that a reply cut by a test is that of the run itself, not of a first EVALSHA that Redis
 * answers NOSCRIPT without running anything (the loader sends EVAL next: that case cannot write twice either).
 */
export async function loadEveryScript(redis: Redis): Promise<void> {
  for (const name of SCRIPT_NAMES) await redis.script('LOAD', script(name).text);
}
