// A task's GraceDB write whose answer is lost (Redis ran it, then the connection died): ioredis sends it again on reconnect, and it must not be done twice.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { startReplyCutProxy, type ReplyCutProxy } from '../helpers/reply-cut-proxy.js';
import { loadEveryScript } from '../helpers/lua-scripts.js';
import { testConfig } from '../helpers/in-process.js';
import { freshStore, uploadEvent } from '../gracedb/embedded-fixture.js';
import { jsonEvent } from '../gracedb/sample-files.js';
import { createRedisConnection } from '../../src/redis/connection.js';
import { runAsTask } from '../../src/queue/current-task.js';
import type { TaskContext } from '../../src/queue/registry.js';
import { oncePerTask } from '../../src/tasks/gracedb-once.js';
import { EmbeddedGraceDb, type GraceDb } from '../../src/gracedb/index.js';
import type { Config } from '../../src/config/index.js';
import { AlertOutbox, listAlerts } from '../../src/alerts/outbox.js';
import { sampleAlert } from '../alerts/sample-alert.js';

describe('a GraceDB write whose answer is lost is sent again and done once', () => {
  let redis: TestRedis;
  let proxy: ReplyCutProxy;
  let direct: Redis;
  let worker: Redis;
  let config: Config;
  let tasks = 0;

  before(async () => {
    redis = await startRedis();
    proxy = await startReplyCutProxy(Number(new URL(redis.url).port));
    config = testConfig(proxy.url);
    direct = new Redis(redis.url);
    await loadEveryScript(direct);
    // A worker's connection, as tasks have it: it waits for Redis and sends again what was not answered.
    worker = createRedisConnection(config, 'worker');
  });
  after(async () => {
    worker?.disconnect();
    direct?.disconnect();
    await proxy?.close();
    await redis?.stop();
  });

  /** A store read directly and the same store as a task sees it: through the proxy, each write once per task. */
  async function setUp() {
    const { store: reader, prefix } = freshStore(direct);
    const store = new EmbeddedGraceDb(worker, prefix);
    const gracedb = oncePerTask(store, worker, config);
    const id = `reply-lost-${++tasks}`;
    const context: TaskContext = {
      id,
      name: 'gwqueue.tests.reply_lost',
      queue: 'celery',
      attempt: 1,
      worker: 'w@test',
      hostname: 'test',
      submittedAt: Date.now(),
      log: async () => {},
    };
    const inTask = <T>(fn: (db: GraceDb) => Promise<T>) => runAsTask(context, () => fn(gracedb));
    return { reader, inTask };
  }

  /** Runs `write` while the proxy drops the answer to the command that carries `marker`; checks a reconnect happened. */
  async function withLostReply<T>(marker: string, write: () => Promise<T>): Promise<T> {
    const before = proxy.connections();
    const cut = proxy.cutReplyTo(marker);
    const answer = await write();
    // Redis ran the command whose answer was lost (an error answer, such as NOSCRIPT, means it ran nothing).
    assert.doesNotMatch((await cut).toString(), /^-/, 'the lost answer was that of a command Redis ran');
    assert.ok(proxy.connections() > before, 'the connection was cut and made again');
    return answer;
  }

  test('a log entry, with and without a file', async () => {
    const { reader, inTask } = await setUp();
    const event = await uploadEvent(reader, 1_400_000_000);
    const before = (await reader.getLogs(event.graceid)).length;
    const plain = await withLostReply('lost-reply-plain', () => inTask((db) => db.writeLog(event.graceid, 'lost-reply-plain')));
    const withFile = await withLostReply('lost-reply-file', () =>
      inTask((db) => db.writeLog(event.graceid, 'lost-reply-file', { filename: 'map.fits', filecontents: Buffer.from('sky') })),
    );
    const logs = await reader.getLogs(event.graceid);
    assert.deepEqual(
      logs.slice(before).map((log) => log.comment),
      ['lost-reply-plain', 'lost-reply-file'],
      'each entry once',
    );
    assert.equal(plain.N, before + 1, "the caller got the entry's own number");
    assert.equal(withFile.N, before + 2);
    assert.equal((await reader.download(`map.fits,${withFile.file_version}`, event.graceid)).toString(), 'sky');
  });

  test('labels added and removed', async () => {
    const { reader, inTask } = await setUp();
    const event = await uploadEvent(reader, 1_400_000_100);
    const before = (await reader.getLogs(event.graceid)).length;
    await withLostReply('LOST_REPLY', () => inTask((db) => db.createLabel('LOST_REPLY', event.graceid)));
    await withLostReply('LOST_REPLY', () => inTask((db) => db.removeLabel('LOST_REPLY', event.graceid)));
    const logs = (await reader.getLogs(event.graceid)).slice(before).map((log) => log.comment);
    assert.deepEqual(logs, ['Added label: LOST_REPLY', 'Removed label: LOST_REPLY']);
    assert.ok(!(await reader.getEvent(event.graceid)).labels.includes('LOST_REPLY'));
  });

  test('a new event', async () => {
    const { reader, inTask } = await setUp();
    const made = await withLostReply('lost-reply-event.json', () =>
      inTask((db) =>
        db.createEvent({
          group: 'CBC',
          pipeline: 'gstlal',
          search: 'AllSky',
          filename: 'lost-reply-event.json',
          filecontents: jsonEvent(1_400_000_200),
        }),
      ),
    );
    const events = await reader.searchEvents('');
    assert.deepEqual(
      events.map((event) => event.graceid),
      [made.graceid],
      'one event',
    );
    assert.deepEqual(
      (await reader.getLogs(made.graceid)).map((log) => log.comment),
      ['Original Data'],
    );
  });

  test('a superevent created, given an event, updated, and given a pipeline-preferred event', async () => {
    const { reader, inTask } = await setUp();
    const first = await uploadEvent(reader, 1_400_000_300);
    const second = await uploadEvent(reader, 1_400_000_300.5, { pipeline: 'pycbc' });
    const third = await uploadEvent(reader, 1_400_000_300.7, { pipeline: 'MBTA' });
    const superevent = await withLostReply('Superevent created', () =>
      inTask((db) =>
        db.createSuperevent({
          t_start: 1_400_000_299,
          t_0: 1_400_000_300,
          t_end: 1_400_000_301,
          preferred_event: first.graceid,
          category: 'production',
        }),
      ),
    );
    assert.equal(superevent.preferred_event, first.graceid);
    assert.equal((await reader.searchSuperevents('')).length, 1, 'one superevent');
    const id = superevent.superevent_id;
    await withLostReply('Added event', () => inTask((db) => db.addEventToSuperevent(id, second.graceid)));
    const updated = await withLostReply('Updated superevent', () => inTask((db) => db.updateSuperevent(id, { t_0: 1_400_000_300.25 })));
    assert.equal(updated.t_0, 1_400_000_300.25);
    const entry = await withLostReply('pipeline-preferred event', () => inTask((db) => db.addPipelinePreferredEvent(id, third.graceid)));
    assert.equal(entry.graceid, third.graceid);
    const comments = (await reader.getLogs(id)).map((log) => log.comment);
    for (const text of ['Superevent created', 'Added event', 'Updated superevent', 'pipeline-preferred event'])
      assert.equal(comments.filter((comment) => comment.includes(text)).length, 1, `one "${text}" entry: ${comments.join(' | ')}`);
    assert.deepEqual((await reader.getSuperevent(id)).gw_events.sort(), [first.graceid, second.graceid, third.graceid].sort());
  });

  test('an alert put in the outbox by a task', async () => {
    const outbox = new AlertOutbox(worker, config);
    const alert = sampleAlert({ superevent_id: 'S261202lost' });
    const sent = await withLostReply('S261202lost', () => outbox.send(alert, { onceKey: 'reply-lost-alert' }));
    const entries = (await listAlerts(direct, config, { count: 100 })).filter((entry) => entry.superevent_id === 'S261202lost');
    assert.deepEqual(
      entries.map((entry) => entry.id),
      [sent.id],
      'one alert, and the sender was told its ID',
    );
  });
});
