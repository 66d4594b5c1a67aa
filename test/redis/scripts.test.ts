// The Lua script loader against a real redis-server: every script loads, is called by SHA, and runs once after its
// server forgot it (SCRIPT FLUSH, as after a restart or a failover).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { startRedisClient, stopRedisClient, type TestRedis } from '../helpers/redis-server.js';
import { LUA_DIR, runScript, script, SCRIPT_NAMES as NAMED } from '../../src/redis/scripts.js';
import { SCRIPT_NAMES } from '../helpers/lua-scripts.js';
import { evalMarked, withWriteMark } from '../../src/gracedb/embedded-write-mark.js';

describe('Lua scripts (src/redis/lua/)', () => {
  let server: TestRedis;
  let redis: Redis;
  before(async () => ({ server, redis } = await startRedisClient()));
  after(() => stopRedisClient(server, redis));

  test('each file documents its Input and Output, and compiles with its includes to the SHA the loader calls', async () => {
    assert.deepEqual([...SCRIPT_NAMES].sort(), [...NAMED].sort(), 'each file is named in SCRIPT_NAMES, each name has its file');
    for (const name of SCRIPT_NAMES) {
      const file = readFileSync(path.join(LUA_DIR, `${name}.lua`), 'utf8');
      assert.match(file, /^--\[\[\n[\s\S]*\n {2}Input:\n[\s\S]*\n {2}Output:\n[\s\S]*?\n\]\]\n/, `${name}.lua has an Input/Output header`);
      const { text, sha } = script(name);
      assert.doesNotMatch(text, /@include/, `${name}: includes resolved`);
      assert.equal(await redis.script('LOAD', text), sha, `${name} compiles`);
    }
  });

  test('a script the server does not know (SCRIPT FLUSH) runs once through EVAL, then by SHA again', async () => {
    await redis.set('lock', 'mine');
    await redis.script('FLUSH');
    const { sha } = script('tasks-release-lock');
    assert.deepEqual(await redis.script('EXISTS', sha), [0]);
    assert.equal(await runScript(redis, 'tasks-release-lock', ['lock'], ['mine']), 1);
    assert.equal(await redis.exists('lock'), 0);
    // EVAL left it in the server's cache: the next call is an EVALSHA that finds it.
    assert.deepEqual(await redis.script('EXISTS', sha), [1]);
    assert.equal(await runScript(redis, 'tasks-release-lock', ['lock'], ['mine']), 0);
  });

  test('a marked write sent again after the server forgot its script finds its mark and writes nothing', async () => {
    const mark = { key: 'mark:once', ttlSeconds: 60 };
    const keys = ['labels:E1', 'order', 'logs:E1'];
    const first = await withWriteMark(mark, () => evalMarked(redis, 'gracedb-add-label', keys, ['EM_READY', '{"comment":"added"}']));
    assert.deepEqual(first, { done: false, reply: 1 });
    await redis.script('FLUSH');
    const again = await withWriteMark(mark, () => evalMarked(redis, 'gracedb-add-label', keys, ['EM_READY', '{"comment":"added"}']));
    assert.deepEqual(again, { done: true, earlier: { written: 1 } });
    assert.equal(await redis.llen('logs:E1'), 1);
    assert.deepEqual(await redis.zrange('labels:E1', 0, -1), ['EM_READY']);
  });

  test("a script's own error is passed on, not taken for NOSCRIPT", async () => {
    await redis.script('FLUSH');
    await redis.set('alerts', 'not a stream');
    await assert.rejects(
      runScript(redis, 'alerts-send-once', ['alerts', 'sent', ''], ['100', '60', 'PRELIMINARY', 'alert_type', 'PRELIMINARY']),
      /WRONGTYPE/,
    );
    assert.equal(await redis.exists('sent'), 0);
  });
});
