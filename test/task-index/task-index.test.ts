// The dashboard's task index against a real Redis: search, pagination, sorting, late events, trimming and removal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import { TaskIndex, type TaskSummary } from '../../src/task-index/task-index.js';
import { startTaskIndexer } from '../../src/task-index/task-indexer.js';
import { eventually } from '../helpers/eventually.js';
import { parseSearch, taskQueryFrom } from '../../src/task-index/task-query.js';
import type { Config } from '../../src/config/index.js';

const T0 = Date.UTC(2024, 0, 1, 12);

function task(n: number, overrides: Partial<TaskSummary> = {}): TaskSummary {
  const failed = n % 10 === 0;
  return {
    id: `id-${String(n).padStart(4, '0')}`,
    name: n % 3 === 0 ? 'gwqueue.tasks.gracedb.upload' : n % 3 === 1 ? 'gwqueue.tasks.core.add' : 'gwqueue.tasks.superevents.process',
    queue: n % 2 ? 'default' : 'superevent',
    state: failed ? 'failed' : 'completed',
    args: JSON.stringify([`S2401${String(n).padStart(2, '0')}a`, n]),
    result: failed ? null : JSON.stringify({ n }),
    error: failed ? `HTTP 503 from GraceDB for ${n}` : null,
    worker: n % 4 ? 'alpha@host' : 'beta@host',
    submittedBy: null,
    submittedAt: T0 + n * 1000,
    startedAt: T0 + n * 1000 + 10,
    finishedAt: T0 + n * 1000 + 10 + n,
    runtimeMs: n,
    attempts: 1,
    rootId: `id-${n}`,
    ...overrides,
  };
}

describe('task index', () => {
  let redis: TestRedis;
  let connection: Redis;
  let config: Config;
  let index: TaskIndex;

  before(async () => {
    redis = await startRedis();
    config = testConfig(redis.url, { GWQUEUE_RESULT_MAX_COUNT: '60' });
    connection = new Redis(redis.url);
    index = new TaskIndex(connection, config);
    await index.write(Array.from({ length: 100 }, (_, i) => ({ task: task(i + 1), version: T0 + i })));
  });
  after(async () => {
    connection?.disconnect();
    await redis?.stop();
  });

  const ids = async (raw: Record<string, string>) => {
    const query = taskQueryFrom(raw, T0 + 200_000);
    const page = await index.page({
      state: query.tab === 'completed' || query.tab === 'failed' ? query.tab : undefined,
      terms: query.terms,
      from: query.from,
      to: query.to,
      sort: query.sort,
      want: query.limit,
    });
    return { ...page, ids: page.ids };
  };

  test('newest first by default, with an exact total', async () => {
    const page = await ids({ limit: '5' });
    assert.deepEqual(page.ids, ['id-0100', 'id-0099', 'id-0098', 'id-0097', 'id-0096']);
    assert.equal(page.total, 100);
    assert.ok(page.exact);
    const oldest = await ids({ limit: '3', sort: 'time' });
    assert.deepEqual(oldest.ids, ['id-0001', 'id-0002', 'id-0003']);
  });

  test('search by name, state and argument text, all at once', async () => {
    const page = await ids({ q: 'name:gracedb state:failed S240130a', limit: '50' });
    assert.deepEqual(page.ids, ['id-0030']);
    assert.equal(page.total, 1);
    const failed = await ids({ q: 'state:failed', limit: '50' });
    assert.equal(failed.total, 10);
    const byError = await ids({ q: '"http 503" worker:beta', limit: '50' });
    assert.deepEqual(byError.ids, ['id-0100', 'id-0080', 'id-0060', 'id-0040', 'id-0020']);
    assert.equal((await ids({ q: 'nothing-like-this' })).total, 0);
    assert.equal((await ids({ q: String(T0).slice(0, 8) })).total, 0, 'free text does not match the time field');
  });

  test('the failed tab and a time window use their own sorted sets', async () => {
    const page = await ids({ state: 'failed', limit: '3' });
    assert.deepEqual(page.ids, ['id-0100', 'id-0090', 'id-0080']);
    assert.equal(page.total, 10);
    const window = await ids({ from: String(T0 + 10_000), to: String(T0 + 20_000), limit: '50' });
    assert.equal(window.total, 11);
    assert.equal(window.ids[0], 'id-0020');
    const windowed = await ids({ from: String(T0 + 10_000), to: String(T0 + 20_000), q: 'state:failed', limit: '50' });
    assert.deepEqual(windowed.ids, ['id-0020', 'id-0010']);
  });

  test('sorting by runtime and by name', async () => {
    assert.deepEqual((await ids({ sort: '-runtime', limit: '2' })).ids, ['id-0100', 'id-0099']);
    assert.deepEqual((await ids({ sort: 'runtime', limit: '2' })).ids, ['id-0001', 'id-0002']);
    const byName = await ids({ sort: 'name', limit: '2' });
    // gwqueue.tasks.core.add first (n % 3 === 1), newest first within a name.
    assert.deepEqual(byName.ids, ['id-0100', 'id-0097']);
    const windowed = await ids({ sort: 'name', from: String(T0 + 95_000), limit: '10' });
    assert.deepEqual(windowed.ids, ['id-0100', 'id-0097', 'id-0099', 'id-0096', 'id-0098', 'id-0095']);
    assert.equal(windowed.total, 6);
  });

  test('small chunks give the same answer as one big scan', async () => {
    const terms = parseSearch('default');
    const big = await index.page({ terms, sort: '-time', want: 30 });
    const small = await index.page({ terms, sort: '-time', want: 30, chunk: 7 });
    assert.deepEqual(small, big);
    assert.equal(big.total, 50);
  });

  test('a late event does not overwrite a newer state', async () => {
    await index.write([{ task: task(5, { state: 'completed', result: '"done"' }), version: T0 + 10_000 }]);
    await index.write([{ task: task(5, { state: 'active', result: null }), version: T0 + 5_000 }]);
    const [stored] = await index.get(['id-0005']);
    assert.equal(stored.state, 'completed');
    assert.equal(stored.result, '"done"');
  });

  test('trimming drops tasks older than the result TTL and beyond the count per queue', async () => {
    const trimmed = new TaskIndex(connection, { ...config, results: { ttlSeconds: 3600, maxCount: 20 } });
    // maxCount 20 keeps 40 per queue (completed + failed): 50 per queue → the 10 oldest of each go.
    assert.equal(await trimmed.trim(T0 + 1000), 20);
    assert.equal(await index.size(), 80);
    assert.equal((await index.get(['id-0001', 'id-0020', 'id-0021'])).length, 1);
    // One hour later than the newest task plus the TTL, everything goes.
    await trimmed.trim(T0 + 100_000 + 3600_000 + 1);
    assert.equal(await index.size(), 0);
    assert.equal(await connection.hlen(index.key('rec')), 0);
    assert.deepEqual(await connection.hgetall(index.key('cnt')), {});
    assert.equal(await connection.zcard(index.key('idx', 'runtime')), 0);
    assert.equal(await connection.zcard(index.key('idx', 'state', 'failed')), 0);
  });

  test('removal clears every index', async () => {
    await index.write([
      { task: task(1), version: 1 },
      { task: task(2), version: 1 },
    ]);
    const slot = (await connection.hget(index.key('ver'), 'id-0001'))!.split(' ')[1];
    assert.equal(await index.remove(['id-0001', 'missing']), 1);
    const keys = await connection.keys(`${index.base}:*`);
    for (const key of keys.filter((k) => k.includes(':idx:'))) {
      assert.equal(await connection.zscore(key, slot), null, key);
    }
    assert.equal(await connection.hexists(index.key('rec'), slot), 0);
    assert.deepEqual((await index.page({ terms: [], sort: 'name', want: 10 })).ids, ['id-0002']);
    assert.deepEqual((await index.page({ terms: parseSearch('S240101a'), sort: '-time', want: 10 })).ids, []);
    const counts = await index.counts();
    assert.deepEqual([...counts.names], [['gwqueue.tasks.superevents.process', 1]]);
    assert.deepEqual([...counts.states], [['completed', 1]]);
  });

  test("an earlier version's index is removed in bounded steps, nothing else; a worker's indexer does it once", async () => {
    const old = index.base.replace(/:ix$/, '');
    const earlier = async () => {
      await connection.hset(`${old}:doc`, 'a', '1');
      await connection.set(`${old}:seq`, '7');
      for (const name of ['ver', 'rec', 'text', 'blk', 'queues']) await connection.set(`${old}:${name}`, 'x');
      for (let i = 0; i < 25; i++) await connection.set(`${old}:tg:${i}:abc`, 'x');
      await connection.zadd(`${old}:idx:time`, 1, 'a');
      await connection.set(`${old}:tk:3:4`, 'x');
    };
    const keep = [`${old}:history:m:1`, 'someone-elses:flower:tg:1'];
    const indexed = (await index.page({ terms: [], sort: '-time', want: 500 })).ids;
    for (const key of keep) await connection.set(key, 'kept');
    const left = async () => (await connection.keys(`${old}:*`)).filter((key) => !key.startsWith(`${index.base}:`) && !keep.includes(key));
    await earlier();
    assert.equal((await left()).length, 34);
    let cursor = '0';
    let steps = 0;
    do {
      cursor = await index.retireEarlierFormat(cursor, 5);
      steps++;
    } while (cursor !== '0');
    assert.ok(steps > 1, 'several steps');
    assert.deepEqual(await left(), []);
    for (const key of keep) assert.equal(await connection.get(key), 'kept', key);
    // The worker's indexer removes it by itself, then marks it done: an index written again afterwards is not touched.
    await earlier();
    const indexer = startTaskIndexer(config, connection, []);
    try {
      await eventually(
        async () => (await left()).length === 0 && (await index.earlierFormatRetired()),
        10_000,
        'the earlier index removed',
      );
      for (const key of keep) assert.equal(await connection.get(key), 'kept', key);
    } finally {
      await indexer.stop();
    }
    // The index of this version is untouched.
    assert.deepEqual((await index.page({ terms: [], sort: '-time', want: 500 })).ids, indexed);
  });

  test("with Redis hung, a worker's indexer still stops within its bound; once Redis answers, the earlier index goes", async () => {
    const old = index.base.replace(/:ix$/, '');
    await connection.del(index.key('earlier-format-removed'));
    await connection.set(`${old}:tg:7:xyz`, 'x');
    redis.freeze();
    try {
      const indexer = startTaskIndexer(config, connection, []);
      const started = Date.now();
      await indexer.stop(500);
      assert.ok(Date.now() - started < 2000, `stopped in ${Date.now() - started} ms`);
    } finally {
      redis.thaw();
    }
    const indexer = startTaskIndexer(config, connection, []);
    try {
      await eventually(
        async () => (await connection.exists(`${old}:tg:7:xyz`)) === 0 && (await index.earlierFormatRetired()),
        10_000,
        'the earlier index removed',
      );
    } finally {
      await indexer.stop();
    }
  });
});
