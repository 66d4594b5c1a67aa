// The task index's trigram postings against a real Redis: every search gives what a brute-force filter over the same tasks gives, and retention takes the postings away.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import {
  matchesTerms,
  parseRow,
  searchRecord,
  TaskIndex,
  taskRow,
  type IndexedState,
  type TaskSummary,
} from '../../src/task-index/task-index.js';
import { parseSearch, type TaskSort } from '../../src/task-index/task-query.js';
import type { Config } from '../../src/config/index.js';

const T0 = Date.UTC(2024, 0, 1, 12);
const COUNT = 6000;

/** A deterministic pseudo-random sequence (the same tasks and queries on every run). */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

const WORDS = ['upload', 'label', 'Superevent', 'bayestar', 'HTTP 503', 'timeout', 'G1234', 'S240101a', 'S240115b', 'é-ü', 'x'];
const NAMES = ['gwqueue.tasks.gracedb.upload', 'gwqueue.tasks.core.add', 'gwqueue.tasks.superevents.process', 'Ä.tasks.odd'];

function randomTask(n: number, next: () => number): TaskSummary {
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
  const state = pick(['completed', 'completed', 'failed', 'active', 'retrying'] as const);
  const finished = state === 'completed' || state === 'failed';
  const submittedAt = T0 + Math.floor(next() * 3_600_000);
  return {
    id: `${Math.floor(next() * 0xffffffff).toString(16)}-${n}`,
    name: pick(NAMES),
    queue: pick(['default', 'superevent', 'openmp']),
    state,
    args: JSON.stringify([pick(WORDS), pick(WORDS), Math.floor(next() * 1000)]),
    result: state === 'completed' ? JSON.stringify({ value: pick(WORDS) }) : null,
    error: state === 'failed' || state === 'retrying' ? `${pick(WORDS)} while ${pick(WORDS)}` : null,
    worker: `worker${Math.floor(next() * 5)}@host`,
    submittedBy: null,
    submittedAt,
    startedAt: submittedAt + 1,
    finishedAt: finished ? submittedAt + 10 : null,
    runtimeMs: finished ? Math.floor(next() * 500) : null,
    attempts: 1,
    rootId: `root-${n}`,
  };
}

const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
/** The order tasks were first indexed in (their slots): equal sort values are ordered by it. */
const written = (task: TaskSummary) => Number(task.id.slice(task.id.lastIndexOf('-') + 1));

/** What the index must answer, computed over the tasks in memory. */
function bruteForce(tasks: TaskSummary[], query: { q: string; state?: IndexedState; from?: number; to?: number; sort: TaskSort }) {
  const key = query.sort.replace('-', '');
  // As the index reads a query: sorted by other than time, the tab's state stands for every state: term.
  const terms = parseSearch(query.q).filter((term) => key === 'time' || !query.state || term.field !== 'state');
  const found = tasks
    .filter((task) => matchesTerms(searchRecord(task), terms))
    .filter((task) => !query.state || task.state === query.state)
    .filter(
      (task) => (query.from === undefined || task.submittedAt >= query.from) && (query.to === undefined || task.submittedAt <= query.to),
    )
    .filter((task) => key !== 'runtime' || task.runtimeMs !== null)
    .sort((a, b) =>
      key === 'name'
        ? bytes(a.name, b.name) || b.submittedAt - a.submittedAt || written(b) - written(a)
        : key === 'runtime'
          ? a.runtimeMs! - b.runtimeMs! || written(a) - written(b)
          : a.submittedAt - b.submittedAt || written(a) - written(b),
    )
    .map((task) => task.id);
  return query.sort.startsWith('-') ? found.reverse() : found;
}

describe('task index search through trigram postings', () => {
  let redis: TestRedis;
  let connection: Redis;
  let config: Config;
  let index: TaskIndex;
  const tasks = new Map<string, TaskSummary>();

  before(async () => {
    redis = await startRedis();
    config = testConfig(redis.url, { GWQUEUE_RESULT_MAX_COUNT: '100000' });
    connection = new Redis(redis.url);
    index = new TaskIndex(connection, config);
    const next = random(29);
    const all = Array.from({ length: COUNT }, (_, n) => randomTask(n, next));
    for (let i = 0; i < all.length; i += 500) await index.write(all.slice(i, i + 500).map((task, j) => ({ task, version: T0 + i + j })));
    for (const task of all) tasks.set(task.id, task);
    // A later event with other texts for one task in five (its old trigrams stay set and must not match), then removals.
    const rewritten = all.filter((_, n) => n % 5 === 0).map((task) => randomTask(Number(task.rootId.slice(5)), next));
    rewritten.forEach((task, n) => (task.id = all[n * 5].id));
    await index.write(rewritten.map((task) => ({ task, version: T0 + 1_000_000 })));
    for (const task of rewritten) tasks.set(task.id, task);
    const removed = all.filter((_, n) => n % 7 === 3).map((task) => task.id);
    assert.equal(await index.remove(removed), removed.length);
    for (const id of removed) tasks.delete(id);
  });
  after(async () => {
    connection?.disconnect();
    await redis?.stop();
  });

  test('every search gives what a brute-force filter gives, in the same order, with the same total', async () => {
    const next = random(7);
    const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
    const queries = [
      'upload',
      '"http 503"',
      'worker:worker2 "http 503"',
      'name:gracedb state:failed s240101a',
      'é-ü',
      'superevent timeout',
      'args:g1234 result:label',
      'no-such-text',
      'ä.tasks',
      'queue:openmp x',
      'id:-12',
      'rker3@',
      // No term: the sorted sets by rank, the completed tab's short walk, the names' counts.
      '',
      '',
      '',
      'state:completed',
    ];
    for (let i = 0; i < 40; i++)
      queries.push(`${pick(WORDS).split(' ')[0]} ${pick(['', 'state:failed', 'worker:worker1', 'name:core', 'queue:default'])}`);
    // Task IDs (longer than the 4 bytes the postings hold of them), matched from their start: whole, cut short, by id:,
    // with another term, and a piece from their middle (found nowhere).
    const ids = [...tasks.keys()];
    for (let i = 0; i < 6; i++) {
      const id = pick(ids);
      queries.push(id, id.slice(0, 9), `id:${id.slice(0, 4)}`, `${id} ${pick(WORDS).split(' ')[0]}`, id.slice(2), `id:${id.slice(1, 6)}`);
    }
    let compared = 0;
    for (const q of queries) {
      for (const sort of ['-time', 'time', '-runtime', 'name', '-name'] as TaskSort[]) {
        const state = pick([undefined, undefined, 'failed', 'completed'] as (IndexedState | undefined)[]);
        const window = next() < 0.3 ? { from: T0 + 600_000, to: T0 + 1_800_000 } : {};
        const expected = bruteForce([...tasks.values()], { q, state, sort, ...window });
        const page = await index.page({ terms: parseSearch(q), state, sort, want: 30, skip: 5, ...window });
        const where = `${q} ${sort} ${state ?? ''} ${JSON.stringify(window)}`;
        assert.equal(page.total, expected.length, where);
        assert.ok(page.exact, where);
        assert.deepEqual(page.ids, expected.slice(5, 35), where);
        compared += expected.length;
      }
    }
    assert.ok(compared > 1000, 'the queries match enough tasks to compare');
  });

  test('with Redis out of memory a search still answers, the same', async () => {
    await connection.config('SET', 'maxmemory-policy', 'noeviction');
    await connection.config('SET', 'maxmemory', '1');
    try {
      await assert.rejects(connection.set('probe', 'x'), /OOM/);
      for (const q of ['worker:worker2 "http 503"', 'superevent timeout', 'no-such-text']) {
        const expected = bruteForce([...tasks.values()], { q, sort: '-time' });
        const page = await index.page({ terms: parseSearch(q), sort: '-time', want: 10 });
        assert.equal(page.total, expected.length, q);
        assert.deepEqual(page.ids, expected.slice(0, 10), q);
      }
    } finally {
      await connection.config('SET', 'maxmemory', '0');
    }
  });

  test('retention takes a task out of the postings, and the last task of a block takes its bitmaps with it', async () => {
    const trimmed = new TaskIndex(connection, { ...config, results: { ttlSeconds: 3600, maxCount: 100000 } });
    const oldest = [...tasks.values()].sort((a, b) => a.submittedAt - b.submittedAt).slice(0, 100);
    const term = oldest[0].id;
    assert.equal((await index.page({ terms: parseSearch(term), sort: '-time', want: 5 })).total, 1);
    // Trim at a time that leaves the 100 oldest submissions beyond the TTL.
    await trimmed.trim(oldest[99].submittedAt + 3600_000 + 1);
    assert.equal((await index.page({ terms: parseSearch(term), sort: '-time', want: 5 })).total, 0);
    assert.ok((await connection.keys(`${index.base}:tg:*`)).length > 0);
    // At most 5,000 removals a call.
    while ((await trimmed.trim(T0 + 10 * 3600_000)) > 0);
    assert.equal(await index.size(), 0);
    assert.deepEqual(await connection.keys(`${index.base}:tg:*`), []);
    assert.deepEqual(await connection.keys(`${index.base}:tk:*`), []);
    assert.equal(await connection.hlen(index.key('rec')), 0);
    assert.equal(await connection.hlen(index.key('blk')), 0);
    assert.equal(await connection.hlen(index.key('ver')), 0);
  });

  test("a task ID's first 4 bytes are posted, not the rest: a whole ID is found through them", async () => {
    const own = new TaskIndex(connection, testConfig(redis.url, { GWQUEUE_PREFIX: 'idposted' }));
    const id = 'abcdefgh-jklmnopq-rstu';
    await own.write([{ task: { ...randomTask(1, random(3)), id, args: '[]', result: null, error: null }, version: 1 }]);
    const posted = async (tri: string) => (await connection.exists(own.key('tg', '0', tri))) === 1;
    for (const tri of ['\x1fi=', 'i=a', '=ab', 'abc', 'bcd']) assert.ok(await posted(tri), `${JSON.stringify(tri)} posted`);
    for (const tri of ['cde', 'fgh', 'jkl', 'stu']) assert.ok(!(await posted(tri)), `${tri} is beyond the ID's start: not posted`);
    const found = async (q: string) => (await own.page({ terms: parseSearch(q), sort: '-time', want: 5 })).ids;
    assert.deepEqual(await found(id), [id]);
    assert.deepEqual(await found('abcdef'), [id]);
    assert.deepEqual(await found('abcdefgh-jk'), [id]);
    assert.deepEqual(await found(`id:${id}`), [id]);
    assert.deepEqual(await found('jklmnopq'), [], 'inside an ID: no match');
  });

  test('a row gives back the task it was written from, whatever its texts', () => {
    const next = random(11);
    for (let n = 0; n < 200; n++) {
      const task = randomTask(n, next);
      if (n % 3 === 0) Object.assign(task, { rootId: 'root-x', submittedBy: 'Ä. Operator', worker: null, startedAt: null });
      if (n % 4 === 0) Object.assign(task, { error: 'İstanbul \u00c4 failed', result: '{"ok":1}' });
      assert.deepEqual(parseRow(taskRow(task)), task);
    }
  });

  test('a posting is a list of offsets while short and a bitmap once it would be half one; states and counts follow each write', async () => {
    const own = new TaskIndex(connection, testConfig(redis.url));
    const make = (n: number, word: string) => ({
      ...randomTask(n, random(n + 1)),
      id: `p-${n}`,
      args: JSON.stringify([word]),
      state: 'completed',
    });
    // Ten batches of one: the list grows by one offset each time.
    for (let n = 0; n < 10; n++) await own.write([{ task: make(n, 'zqxw'), version: 1 }]);
    const posting = () => connection.getBuffer(own.key('tg', '0', 'zqx'));
    const list = (await posting())!;
    assert.equal(list.length, 20);
    const slots = await Promise.all(
      Array.from({ length: 10 }, async (_, n) => Number((await connection.hget(own.key('ver'), `p-${n}`))!.split(' ')[1])),
    );
    assert.deepEqual(
      Array.from({ length: 10 }, (_, k) => list.readUInt16BE(2 * k)),
      slots,
    );
    // 300 more in one batch: half a bitmap or more, so a bitmap of 506 bytes (4,048 slots a block).
    await own.write(Array.from({ length: 300 }, (_, k) => ({ task: make(10 + k, 'zqxw'), version: 1 })));
    const bitmap = (await posting())!;
    assert.equal(bitmap.length, 506);
    for (const slot of slots) assert.ok(bitmap[slot >> 3] & (128 >> (slot & 7)), `slot ${slot} kept its bit`);
    const search = (q: string, state?: 'failed' | 'completed') => own.page({ terms: parseSearch(q), state, sort: '-time', want: 5 });
    assert.equal((await search('zqxw')).total, 310);
    // Asked once before each change, so that the answers after come through what this process kept of them.
    assert.equal((await search('zqxw', 'completed')).total, 310);
    assert.equal((await search('zqxw', 'failed')).total, 0);
    // A task that fails later: one state less, one more, in the counts, the tabs and the search.
    await own.write([{ task: { ...make(3, 'zqxw'), state: 'failed', error: 'boom', result: null }, version: 2 }]);
    const counts = await own.counts();
    assert.equal(counts.states.get('completed'), 309);
    assert.equal(counts.states.get('failed'), 1);
    assert.deepEqual((await search('zqxw', 'failed')).ids, ['p-3']);
    assert.equal((await own.page({ terms: [], state: 'completed', sort: '-time', want: 5 })).total, 309);
    assert.equal((await search('zqxw', 'completed')).total, 309);
    // Removed: no longer a match, nor counted.
    await own.remove(['p-3', 'p-4']);
    assert.equal((await search('zqxw')).total, 308);
    assert.equal((await own.counts()).states.get('failed'), undefined);
    assert.deepEqual((await search('boom')).ids, []);
  });
});
