// writesAtRisk against a real redis-server: each persistence setting, and a Redis that is hung or killed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { startRedisClient, stopRedisClient, type TestRedis } from '../helpers/redis-server.js';
import { writesAtRisk } from '../../src/redis/durability.js';

describe('Redis durability warning', () => {
  let server: TestRedis;
  let redis: Redis;
  before(async () => ({ server, redis } = await startRedisClient()));
  after(() => stopRedisClient(server, redis));

  test('appendonly no, appendfsync everysec and no are named; appendonly yes with always is not', async () => {
    await redis.config('SET', 'appendonly', 'no');
    assert.match((await writesAtRisk(redis)) ?? '', /appendonly no: a restart of Redis loses every task/);
    await redis.config('SET', 'appendonly', 'yes');
    for (const fsync of ['everysec', 'no']) {
      await redis.config('SET', 'appendfsync', fsync);
      assert.match((await writesAtRisk(redis)) ?? '', new RegExp(`appendfsync ${fsync}: .*accepted submissions`));
    }
    await redis.config('SET', 'appendfsync', 'always');
    assert.equal(await writesAtRisk(redis), undefined);
  });

  test('a Redis that does not answer (hung) gives no warning, within the bound', async () => {
    await redis.config('SET', 'appendonly', 'no');
    server.freeze();
    try {
      const started = Date.now();
      assert.equal(await writesAtRisk(redis, 300), undefined);
      assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    } finally {
      server.thaw();
    }
    // The answer it sends after the thaw is not taken for a new one: the next call still names the setting.
    assert.match((await writesAtRisk(redis)) ?? '', /appendonly no/);
  });

  test('a Redis killed (connection refused) gives no warning, within the bound', async () => {
    await server.kill();
    try {
      const started = Date.now();
      assert.equal(await writesAtRisk(redis, 300), undefined);
      assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    } finally {
      await server.restart();
    }
  });
});
