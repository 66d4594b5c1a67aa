// Embedded store: uploading and reading events, their graceids, the creation callback and not-found errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import type { EventRecord } from '../../src/gracedb/gracedb.js';
import { startRedisClient, stopRedisClient, type TestRedis } from '../helpers/redis-server.js';
import { sleep } from '../helpers/eventually.js';
import { freshStore, uploadEvent } from './embedded-fixture.js';
import { coincXml } from './sample-files.js';

describe('embedded GraceDB: events', () => {
  let server: TestRedis;
  let redis: Redis;

  before(async () => ({ server, redis } = await startRedisClient()));
  after(() => stopRedisClient(server, redis));

  it('stores an uploaded coinc.xml as an event record shaped like GraceDB’s', async () => {
    const { store } = freshStore(redis, { submitter: 'emfollow' });
    const created = await store.createEvent({
      group: 'CBC',
      pipeline: 'gstlal',
      search: 'AllSky',
      labels: ['PASTRO_READY'],
      filename: 'coinc.xml',
      filecontents: coincXml({ endTime: 1239917954, endTimeNs: 500000000, far: 2e-11 }),
    });
    assert.match(created.graceid, /^G\d{4,}$/);
    const event = await store.getEvent(created.graceid);
    assert.deepEqual(event, created);
    assert.equal(event.gpstime, 1239917954.5);
    assert.equal(event.far, 2e-11);
    assert.equal(event.instruments, 'H1,L1');
    assert.equal(event.offline, false);
    assert.equal(event.superevent, null);
    assert.equal(event.submitter, 'emfollow');
    assert.deepEqual(event.labels, ['PASTRO_READY']);
    assert.equal(event.extra_attributes.SingleInspiral?.length, 2);
    assert.ok(!Number.isNaN(Date.parse(event.created)));
    assert.equal(event.links.self, `https://gracedb.invalid/api/events/${event.graceid}`);
  });

  it('keeps the upload as file version 0 with an "Original Data" log entry', async () => {
    const { store } = freshStore(redis);
    const contents = coincXml({ endTime: 1239917954, endTimeNs: 0, far: 1e-9 });
    const event = await store.createEvent({ group: 'CBC', pipeline: 'pycbc', filename: 'coinc.xml', filecontents: contents });
    assert.equal((await store.download('coinc.xml', event.graceid)).toString(), contents);
    assert.equal((await store.download('coinc.xml,0', event.graceid)).toString(), contents);
    const [log] = await store.getLogs(event.graceid);
    assert.deepEqual([log.N, log.comment, log.filename, log.file_version], [1, 'Original Data', 'coinc.xml', 0]);
  });

  it('gives graceids G, M, T or E by group and search, from one increasing counter', async () => {
    const { store } = freshStore(redis);
    const ids = [
      (await uploadEvent(store, 1e9)).graceid,
      (await uploadEvent(store, 1e9, { search: 'MDC' })).graceid,
      (await uploadEvent(store, 1e9, { group: 'Test' })).graceid,
      (await uploadEvent(store, 1e9, { group: 'External', pipeline: 'Fermi', search: 'GRB' })).graceid,
    ];
    assert.deepEqual(
      ids.map((id) => id[0]),
      ['G', 'M', 'T', 'E'],
    );
    const numbers = ids.map((id) => Number(id.slice(1)));
    assert.deepEqual(
      numbers,
      [...numbers].sort((a, b) => a - b),
    );
    assert.equal(new Set(numbers).size, 4);
  });

  it('calls onEventCreated with the new record before createEvent resolves', async () => {
    const seen: EventRecord[] = [];
    const { store } = freshStore(redis, {
      onEventCreated: async (event) => {
        // A timer, not a race: awaited, the push happens before createEvent resolves however late the timer fires;
        // not awaited, createEvent would resolve first (its promise settles in microtasks, before any timer) and
        // `seen` would still be empty below.
        await sleep(5);
        seen.push(event);
      },
    });
    const event = await uploadEvent(store, 1300000000, { search: 'MDC' });
    assert.deepEqual(seen, [event]);
  });

  it('passes on an error of onEventCreated (the event stays stored)', async () => {
    const { store } = freshStore(redis, { onEventCreated: () => Promise.reject(new Error('queue is down')) });
    await assert.rejects(uploadEvent(store, 1300000000), /queue is down/);
    assert.equal((await store.searchEvents('')).length, 1);
  });

  it('refuses uploads without group or pipeline, unreadable files and oversized files', async () => {
    const { store } = freshStore(redis, { maxFileBytes: 2048 });
    await assert.rejects(store.createEvent({ group: '', pipeline: 'gstlal', filename: 'e.json', filecontents: '{}' }), {
      name: 'GraceDbBadRequestError',
      message: /group/,
    });
    await assert.rejects(store.createEvent({ group: 'CBC', pipeline: 'gstlal', filename: 'e.txt', filecontents: 'not an event' }), {
      name: 'GraceDbBadRequestError',
      message: /cannot read e\.txt/,
    });
    await assert.rejects(
      store.createEvent({ group: 'CBC', pipeline: 'gstlal', filename: 'big.json', filecontents: Buffer.alloc(4096, 32) }),
      {
        name: 'GraceDbBadRequestError',
        message: /at most 2048 bytes/,
      },
    );
    assert.equal((await store.searchEvents('')).length, 0);
  });

  it('answers unknown events with GraceDbNotFoundError', async () => {
    const { store } = freshStore(redis);
    await assert.rejects(store.getEvent('G9999'), { name: 'GraceDbNotFoundError', status: 404 });
    await assert.rejects(store.getLogs('G9999'), { name: 'GraceDbNotFoundError' });
    await assert.rejects(store.download('coinc.xml', 'G9999'), { name: 'GraceDbNotFoundError' });
    await assert.rejects(store.getLogs('nonsense'), { name: 'GraceDbNotFoundError' });
  });

  it('keeps every key under the given prefix, braces included', async () => {
    const { store, prefix } = freshStore(redis);
    await uploadEvent(store, 1300000000, { labels: ['EM_READY'] });
    const keys = await redis.keys(`*${prefix}*`);
    assert.ok(keys.length >= 5);
    for (const key of keys) assert.ok(key.startsWith(`${prefix}:gracedb:`), key);
  });
});
