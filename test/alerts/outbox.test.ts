// The alert outbox on a real Redis: alerts kept with their metadata, listed newest first, bounded, failures counted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { startRedisClient, stopRedisClient, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import { AlertOutbox, alertFailureCount, getAlert, getAlertAvro, listAlerts, recordAlertFailure } from '../../src/alerts/outbox.js';
import { decodeAlertsAvro } from '../../src/alerts/avro.js';
import type { AlertSink } from '../../src/alerts/sink.js';
import { sampleAlert } from './sample-alert.js';
import { outboxKeys } from '../../src/redis/keys.js';

let server: TestRedis;
let redis: Redis;

before(async () => ({ server, redis } = await startRedisClient()));
after(() => stopRedisClient(server, redis));

test('sent alerts are listed newest first with superevent, type, time, public flag and payload', async () => {
  const config = testConfig(server.url);
  const outbox: AlertSink = new AlertOutbox(redis, config);
  const first = await outbox.send(sampleAlert({ superevent_id: 'MS240101a' }));
  const second = await outbox.send(sampleAlert({ superevent_id: 'MS240101b', alert_type: 'UPDATE' }), { public: true });
  assert.equal(first.sink, 'outbox');
  assert.match(second.id, /^\d+-\d+$/);
  const listed = await listAlerts(redis, config, { count: 10 });
  assert.deepEqual(
    listed.map((entry) => [entry.id, entry.superevent_id, entry.alert_type, entry.public]),
    [
      [second.id, 'MS240101b', 'UPDATE', true],
      [first.id, 'MS240101a', 'PRELIMINARY', false],
    ],
  );
  assert.ok(Date.parse(listed[0].time) <= Date.now());
  assert.deepEqual(listed[1].payload, sampleAlert({ superevent_id: 'MS240101a' }));
  assert.equal((await listAlerts(redis, config, { count: 1 })).length, 1);
  assert.deepEqual(
    (await listAlerts(redis, config, { supereventId: 'MS240101a' })).map((entry) => entry.id),
    [first.id],
  );
  assert.equal((await getAlert(redis, config, first.id))?.superevent_id, 'MS240101a');
  assert.equal(await getAlert(redis, config, 'not-an-id'), undefined);
  assert.ok(outboxKeys.stream(config).startsWith(`{${config.prefix}}:`), 'under the Cluster hash tag');
});

test('the outbox is bounded by GWQUEUE_ALERT_OUTBOX_MAXLEN (approximately, as XADD MAXLEN ~)', async () => {
  const config = testConfig(server.url, { GWQUEUE_ALERT_OUTBOX_MAXLEN: '10' });
  const outbox = new AlertOutbox(redis, config);
  for (let index = 0; index < 300; index += 1) await outbox.send(sampleAlert({ superevent_id: `MS240101${'abcdefghij'[index % 10]}` }));
  const length = await redis.xlen(outboxKeys.stream(config));
  assert.ok(length < 300 && length >= 10, `kept ${length} of 300`);
  assert.equal((await listAlerts(redis, config, { count: 1000 })).length, length);
});

test('alerts that could not be delivered are counted', async () => {
  const config = testConfig(server.url);
  assert.equal(await alertFailureCount(redis, config), 0);
  await recordAlertFailure(redis, config);
  await recordAlertFailure(redis, config);
  assert.equal(await alertFailureCount(redis, config), 2);
});

test('a task that sends the same alert again (picked up after its worker died) finds its first entry and sends nothing', async () => {
  const config = testConfig(server.url);
  const outbox = new AlertOutbox(redis, config);
  const alert = sampleAlert({ superevent_id: 'MS240102a' });
  const first = await outbox.send(alert, { onceKey: 'task-1' });
  const again = await outbox.send(alert, { onceKey: 'task-1' });
  assert.equal(first.repeated, undefined);
  assert.deepEqual(again, { sink: 'outbox', id: first.id, repeated: true });
  assert.equal(await redis.xlen(outboxKeys.stream(config)), 1, 'one alert in the outbox');
  assert.equal(await redis.hget(outboxKeys.sent(config), 'PRELIMINARY'), '1', 'counted once');
  // Another task (an operator's second, deliberate submission), another alert type, or no key at all: sent.
  assert.notEqual((await outbox.send(alert, { onceKey: 'task-2' })).id, first.id);
  assert.equal(
    (await outbox.send(sampleAlert({ superevent_id: 'MS240102a', alert_type: 'UPDATE' }), { onceKey: 'task-1' })).repeated,
    undefined,
  );
  await outbox.send(alert);
  assert.equal(await redis.xlen(outboxKeys.stream(config)), 4);
  assert.ok((await redis.ttl(outboxKeys.once(config, 'task-1:PRELIMINARY:MS240102a'))) > 6 * 24 * 3600, 'the mark outlives any retry');
});

test('GWQUEUE_ALERT_SINK_FORMAT: json keeps the JSON form only; avro adds the Avro container file beside it', async () => {
  const config = testConfig(server.url);
  const json = new AlertOutbox(redis, config);
  assert.equal(json.format, 'json');
  const plain = await json.send(sampleAlert({ superevent_id: 'MS240102a' }));
  assert.equal((await getAlert(redis, config, plain.id))?.avro, false);
  assert.equal(await getAlertAvro(redis, config, plain.id), undefined);
  const avroOutbox = new AlertOutbox(redis, { ...config, domain: testConfig(server.url, { GWQUEUE_ALERT_SINK_FORMAT: 'avro' }).domain });
  const sent = await avroOutbox.send(sampleAlert({ superevent_id: 'MS240102b' }));
  const entry = await getAlert(redis, config, sent.id);
  assert.deepEqual([entry?.avro, entry?.payload], [true, sampleAlert({ superevent_id: 'MS240102b' })], 'the payload stays JSON');
  assert.deepEqual(decodeAlertsAvro((await getAlertAvro(redis, config, sent.id))!), [sampleAlert({ superevent_id: 'MS240102b' })]);
  assert.throws(() => testConfig(server.url, { GWQUEUE_ALERT_SINK_FORMAT: 'xml' }), /GWQUEUE_ALERT_SINK_FORMAT/);
});
