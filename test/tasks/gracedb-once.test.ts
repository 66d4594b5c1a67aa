// GraceDB writes once per task (src/tasks/gracedb-once.ts) against a real Redis and the embedded GraceDB: runs of the same task repeat no write, other tasks and other calls still write.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import { freshStore, uploadEvent } from '../gracedb/embedded-fixture.js';
import { runAsTask } from '../../src/queue/current-task.js';
import type { TaskContext } from '../../src/queue/registry.js';
import { oncePerTask, WRITE_MARK_TTL_SECONDS, writeIdentity, writeMarkKey } from '../../src/tasks/gracedb-once.js';
import { withWriteMark } from '../../src/gracedb/embedded-write-mark.js';
import { GraceDbNotFoundError, type GraceDb } from '../../src/gracedb/index.js';
import type { Config } from '../../src/config/index.js';

describe('GraceDB writes once per task', () => {
  let redis: TestRedis;
  let connection: Redis;
  let config: Config;

  before(async () => {
    redis = await startRedis();
    connection = new Redis(redis.url);
    config = testConfig(redis.url);
  });
  after(async () => {
    connection?.disconnect();
    await redis?.stop();
  });

  /** A fresh store with one event, wrapped; `lines` collects what the runs wrote to their task pages. */
  async function setUp() {
    const { store } = freshStore(connection);
    const event = await uploadEvent(store, 1_400_000_000);
    const gracedb = oncePerTask(store, connection, config);
    const lines: string[] = [];
    const run = <T>(id: string, fn: (db: GraceDb) => Promise<T>, attempt = 1): Promise<T> => {
      const context: TaskContext = {
        id,
        name: 'gwqueue.tests.once',
        queue: 'celery',
        attempt,
        worker: 'w@test',
        hostname: 'test',
        submittedAt: Date.now(),
        log: async (line) => void lines.push(line),
      };
      return runAsTask(context, () => fn(gracedb));
    };
    const logCount = async () => (await store.getLogs(event.graceid)).length;
    return { store, event, gracedb, run, lines, logCount };
  }

  test("the same task run again writes nothing new and gets the first run's answers", async () => {
    const { event, run, lines, logCount } = await setUp();
    const before = await logCount();
    const steps = async (db: GraceDb) => {
      const log = await db.writeLog(event.graceid, 'sky map ready', {
        filename: 'bayestar.fits',
        filecontents: Buffer.from('first sky map'),
        tags: ['sky_loc'],
      });
      await db.createLabel('SKYMAP_READY', event.graceid);
      await db.removeLabel('SKYMAP_READY', event.graceid);
      return log;
    };
    const first = await run('task-1', steps);
    const again = await run('task-1', steps, 2);
    assert.equal(await logCount(), before + 3, 'one log entry, one label added, one removed: not twice');
    assert.deepEqual(again, first, "the second run reports the first run's log entry and file version");
    assert.equal(lines.filter((line) => /already done by an earlier run/.test(line)).length, 3, 'each skipped write is on the task page');
    const ttl = await connection.ttl((await connection.keys('*:gracedb:once:task-1:*'))[0]);
    assert.ok(ttl > 0 && ttl <= WRITE_MARK_TTL_SECONDS, `the marks expire (${ttl} s)`);
  });

  test('another task, another call, a repeated call within one run, and calls outside a task all write', async () => {
    const { event, run, gracedb, logCount, store } = await setUp();
    const before = await logCount();
    const twice = async (db: GraceDb) => {
      await db.writeLog(event.graceid, 'checked');
      await db.writeLog(event.graceid, 'checked');
    };
    await run('task-a', twice);
    assert.equal(await logCount(), before + 2, 'the same call twice in one run is made twice');
    await run('task-a', twice, 2);
    assert.equal(await logCount(), before + 2, 'and not again when the task runs again');
    await run('task-a', (db) => db.writeLog(event.graceid, 'checked', { filename: 'other.txt', filecontents: Buffer.from('x') }), 3);
    assert.equal(await logCount(), before + 3, 'a call with other arguments is a new write');
    await run('task-b', (db) => db.writeLog(event.graceid, 'checked'));
    assert.equal(await logCount(), before + 4, 'another task writes its own');
    await gracedb.writeLog(event.graceid, 'by hand');
    await gracedb.writeLog(event.graceid, 'by hand');
    assert.equal(await logCount(), before + 6, 'outside a task nothing is remembered');
    const files = async (name: string) => (await store.getLogs(event.graceid)).filter((entry) => entry.filename === name).length;
    await run('task-c', (db) => db.writeLog(event.graceid, 'map', { filename: 'map.fits', filecontents: Buffer.from('one') }));
    await run('task-c', (db) => db.writeLog(event.graceid, 'map', { filename: 'map.fits', filecontents: Buffer.from('two') }), 2);
    assert.equal(await files('map.fits'), 2, 'file contents are part of the call: other bytes are another write');
  });

  test('a failed write is not remembered: the next run makes it', async () => {
    const { run, logCount, event } = await setUp();
    await assert.rejects(
      run('task-f', (db) => db.removeLabel('NOT_THERE', event.graceid)),
      GraceDbNotFoundError,
    );
    await assert.rejects(
      run('task-f', (db) => db.removeLabel('NOT_THERE', event.graceid), 2),
      GraceDbNotFoundError,
      'tried again, not answered from a mark',
    );
    const before = await logCount();
    await run('task-f', (db) => db.createLabel('NOT_THERE', event.graceid), 3);
    await run('task-f', (db) => db.removeLabel('NOT_THERE', event.graceid), 4);
    await run('task-f', (db) => db.removeLabel('NOT_THERE', event.graceid), 5);
    assert.equal(await logCount(), before + 2, 'label added and removed once; the run after that does not fail on the missing label');
  });

  test("the embedded store records a write in the write's own step: a run that lost the answer after it writes nothing again", async () => {
    const { store, event, run, logCount } = await setUp();
    // What a run does before a failover takes the answer it recorded next: the write, with its mark, as one step.
    const args: [string, string, { filename: string; filecontents: Buffer; tags: string[] }] = [
      event.graceid,
      'em bright',
      { filename: 'em_bright.json', filecontents: Buffer.from('{"HasNS": 1}'), tags: ['em_bright'] },
    ];
    const mark = { key: writeMarkKey(config, 'task-m', writeIdentity('writeLog', args), 1), ttlSeconds: 60 };
    const first = await withWriteMark(mark, () => store.writeLog(...args));
    assert.deepEqual(JSON.parse((await connection.get(mark.key))!), { written: first.N }, 'the mark came with the write');
    const before = await logCount();
    const again = await run('task-m', (db) => db.writeLog(...args), 2);
    assert.equal(await logCount(), before, 'the run after it did not write again');
    assert.deepEqual(again, first, "and got the first write's answer, rebuilt from the store");
    // A new event likewise: the run after it gets the event the first made, not a second one.
    const input = {
      group: 'CBC',
      pipeline: 'gstlal',
      search: 'AllSky',
      filename: 'event.json',
      filecontents: await store.download('event.json', event.graceid),
    };
    const eventMark = { key: writeMarkKey(config, 'task-e', writeIdentity('createEvent', [input]), 1), ttlSeconds: 60 };
    const made = await withWriteMark(eventMark, () => store.createEvent(input));
    const events = (await store.searchEvents('')).length;
    const remade = await run('task-e', (db) => db.createEvent(input), 2);
    assert.equal((await store.searchEvents('')).length, events, 'no second event');
    assert.equal(remade.graceid, made.graceid);
  });

  test('reads pass through untouched', async () => {
    const { run, event, store } = await setUp();
    const direct = await store.getEvent(event.graceid);
    const viaTask = await run('task-r', (db) => db.getEvent(event.graceid));
    assert.deepEqual(viaTask, direct);
    await run('task-r', (db) => db.createLabel('EM_READY', event.graceid));
    assert.deepEqual((await run('task-r', (db) => db.getEvent(event.graceid), 2)).labels, [...direct.labels, 'EM_READY'].sort());
  });
});
