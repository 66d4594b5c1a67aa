// Embedded store: superevent IDs (dates, suffixes, concurrency), membership of events, updates.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { dateToGps } from '../../src/gracedb/gps-time.js';
import { supereventSuffix } from '../../src/gracedb/superevent-ids.js';
import { startRedisClient, stopRedisClient, type TestRedis } from '../helpers/redis-server.js';
import { freshStore, uploadEvent } from './embedded-fixture.js';

const MIDNIGHT = dateToGps(new Date('2019-02-01T00:00:00Z'));

describe('embedded GraceDB: superevents', () => {
  let server: TestRedis;
  let redis: Redis;

  before(async () => ({ server, redis } = await startRedisClient()));
  after(() => stopRedisClient(server, redis));

  it('creates a superevent record shaped like GraceDB’s, preferred event embedded', async () => {
    const { store } = freshStore(redis);
    const event = await uploadEvent(store, MIDNIGHT + 100, { far: 3e-10 });
    const superevent = await store.createSuperevent({
      t_start: MIDNIGHT + 99,
      t_0: MIDNIGHT + 100,
      t_end: MIDNIGHT + 101,
      preferred_event: event.graceid,
      labels: ['EM_READY'],
    });
    assert.equal(superevent.superevent_id, 'S190201a');
    assert.equal(superevent.category, 'Production');
    assert.deepEqual([superevent.t_start, superevent.t_0, superevent.t_end], [MIDNIGHT + 99, MIDNIGHT + 100, MIDNIGHT + 101]);
    assert.equal(superevent.preferred_event, event.graceid);
    assert.deepEqual(superevent.gw_events, [event.graceid]);
    assert.deepEqual(superevent.em_events, []);
    assert.deepEqual(superevent.labels, ['EM_READY']);
    assert.equal(superevent.far, 3e-10);
    assert.equal(superevent.preferred_event_data?.graceid, event.graceid);
    assert.equal(superevent.preferred_event_data?.superevent, 'S190201a');
    assert.equal((await store.getEvent(event.graceid)).superevent, 'S190201a');
    assert.deepEqual(await store.getSuperevent('S190201a'), superevent);
    const [log] = await store.getLogs('S190201a');
    assert.match(log.comment, /^Superevent created with t_start=.*preferred_event=G\d+/);
  });

  it('dates IDs by t_0 in UTC: just before and just after midnight differ', async () => {
    const { store } = freshStore(redis);
    const before = await uploadEvent(store, MIDNIGHT - 0.5);
    const after = await uploadEvent(store, MIDNIGHT + 0.5);
    const a = await store.createSuperevent({
      t_start: MIDNIGHT - 1,
      t_0: MIDNIGHT - 0.5,
      t_end: MIDNIGHT,
      preferred_event: before.graceid,
    });
    const b = await store.createSuperevent({ t_start: MIDNIGHT, t_0: MIDNIGHT + 0.5, t_end: MIDNIGHT + 1, preferred_event: after.graceid });
    assert.equal(a.superevent_id, 'S190131a');
    assert.equal(b.superevent_id, 'S190201a');
  });

  it('prefixes MS for mdc and TS for test, each counting its own suffixes', async () => {
    const { store } = freshStore(redis);
    const mdc = await uploadEvent(store, MIDNIGHT + 10, { search: 'MDC' });
    const test = await uploadEvent(store, MIDNIGHT + 10, { group: 'Test' });
    const production = await uploadEvent(store, MIDNIGHT + 10);
    const ids = [
      (
        await store.createSuperevent({
          t_start: MIDNIGHT,
          t_0: MIDNIGHT + 10,
          t_end: MIDNIGHT + 20,
          preferred_event: mdc.graceid,
          category: 'mdc',
        })
      ).superevent_id,
      (
        await store.createSuperevent({
          t_start: MIDNIGHT,
          t_0: MIDNIGHT + 10,
          t_end: MIDNIGHT + 20,
          preferred_event: test.graceid,
          category: 'test',
        })
      ).superevent_id,
      (await store.createSuperevent({ t_start: MIDNIGHT, t_0: MIDNIGHT + 10, t_end: MIDNIGHT + 20, preferred_event: production.graceid }))
        .superevent_id,
    ];
    assert.deepEqual(ids, ['MS190201a', 'TS190201a', 'S190201a']);
    assert.equal((await store.getSuperevent('MS190201a')).category, 'MDC');
  });

  it('runs 28 superevents of one date through …y, z, aa, ab', async () => {
    const { store } = freshStore(redis);
    const ids: string[] = [];
    for (let index = 0; index < 28; index += 1) {
      const event = await uploadEvent(store, MIDNIGHT + 1000 + index);
      const created = await store.createSuperevent({
        t_start: MIDNIGHT + 999 + index,
        t_0: MIDNIGHT + 1000 + index,
        t_end: MIDNIGHT + 1001 + index,
        preferred_event: event.graceid,
      });
      ids.push(created.superevent_id);
    }
    assert.deepEqual(ids.slice(-4), ['S190201y', 'S190201z', 'S190201aa', 'S190201ab']);
    assert.deepEqual(
      ids,
      ids.map((_, index) => `S190201${supereventSuffix(index + 1)}`),
    );
  });

  it('hands out unique IDs to 50 concurrent creations', async () => {
    const { store } = freshStore(redis);
    const events = await Promise.all(Array.from({ length: 50 }, (_, index) => uploadEvent(store, MIDNIGHT + 5000 + index)));
    const created = await Promise.all(
      events.map((event) =>
        store.createSuperevent({
          t_start: event.gpstime! - 1,
          t_0: event.gpstime!,
          t_end: event.gpstime! + 1,
          preferred_event: event.graceid,
        }),
      ),
    );
    const ids = created.map((superevent) => superevent.superevent_id);
    assert.equal(new Set(ids).size, 50);
    assert.deepEqual(new Set(ids), new Set(Array.from({ length: 50 }, (_, index) => `S190201${supereventSuffix(index + 1)}`)));
    for (const superevent of created) assert.equal((await store.getEvent(superevent.preferred_event)).superevent, superevent.superevent_id);
  });

  it('lets only one of two concurrent creations claim the same preferred event', async () => {
    const { store } = freshStore(redis);
    const event = await uploadEvent(store, MIDNIGHT + 50);
    const input = { t_start: MIDNIGHT + 49, t_0: MIDNIGHT + 50, t_end: MIDNIGHT + 51, preferred_event: event.graceid };
    const results = await Promise.allSettled([store.createSuperevent(input), store.createSuperevent(input)]);
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    const rejected = results.find((result) => result.status === 'rejected');
    assert.match(String(rejected?.reason?.message), /already assigned to a Superevent/);
    assert.equal((await store.searchSuperevents('')).length, 1);
  });

  it('adds GW events to gw_events and external ones to em_events, once', async () => {
    const { store } = freshStore(redis);
    const preferred = await uploadEvent(store, MIDNIGHT + 10);
    const other = await uploadEvent(store, MIDNIGHT + 10.2, { pipeline: 'pycbc' });
    const grb = await uploadEvent(store, MIDNIGHT + 12, { group: 'External', pipeline: 'Fermi', search: 'GRB' });
    const { superevent_id: id } = await store.createSuperevent({
      t_start: MIDNIGHT + 9,
      t_0: MIDNIGHT + 10,
      t_end: MIDNIGHT + 11,
      preferred_event: preferred.graceid,
    });
    await store.addEventToSuperevent(id, other.graceid);
    await store.addEventToSuperevent(id, grb.graceid);
    const superevent = await store.getSuperevent(id);
    assert.deepEqual(superevent.gw_events, [preferred.graceid, other.graceid]);
    assert.deepEqual(superevent.em_events, [grb.graceid]);
    assert.equal((await store.getEvent(grb.graceid)).superevent, id);
    assert.ok((await store.getLogs(id)).some((log) => log.comment === `Added event: ${other.graceid}`));
    await assert.rejects(store.addEventToSuperevent(id, other.graceid), { name: 'GraceDbBadRequestError', message: /already assigned/ });
  });

  it('refuses events of another category, missing events and missing superevents', async () => {
    const { store } = freshStore(redis);
    const production = await uploadEvent(store, MIDNIGHT + 10);
    const mdc = await uploadEvent(store, MIDNIGHT + 10, { search: 'MDC' });
    await assert.rejects(store.createSuperevent({ t_start: 0, t_0: MIDNIGHT, t_end: 1, preferred_event: mdc.graceid }), {
      name: 'GraceDbBadRequestError',
      message: /is of type 'mdc', and cannot be assigned to a superevent of type 'production'/,
    });
    await assert.rejects(store.createSuperevent({ t_start: 0, t_0: MIDNIGHT, t_end: 1, preferred_event: 'G9999' }), {
      name: 'GraceDbBadRequestError',
      message: /G9999 does not exist/,
    });
    const { superevent_id: id } = await store.createSuperevent({
      t_start: MIDNIGHT,
      t_0: MIDNIGHT + 10,
      t_end: MIDNIGHT + 20,
      preferred_event: production.graceid,
    });
    await assert.rejects(store.addEventToSuperevent(id, mdc.graceid), { name: 'GraceDbBadRequestError' });
    await assert.rejects(store.addEventToSuperevent('S000101a', mdc.graceid), { name: 'GraceDbNotFoundError' });
    await assert.rejects(store.getSuperevent('S000101a'), { name: 'GraceDbNotFoundError', status: 404 });
  });

  it('updates times and the preferred event, logging what changed', async () => {
    const { store } = freshStore(redis);
    const first = await uploadEvent(store, MIDNIGHT + 10, { far: 1e-6 });
    const better = await uploadEvent(store, MIDNIGHT + 10.1, { far: 1e-12 });
    const { superevent_id: id } = await store.createSuperevent({
      t_start: MIDNIGHT + 9,
      t_0: MIDNIGHT + 10,
      t_end: MIDNIGHT + 11,
      preferred_event: first.graceid,
    });
    const updated = await store.updateSuperevent(id, { preferred_event: better.graceid, t_0: MIDNIGHT + 10.1 });
    assert.equal(updated.preferred_event, better.graceid);
    assert.equal(updated.t_0, MIDNIGHT + 10.1);
    assert.equal(updated.far, 1e-12);
    assert.deepEqual(updated.gw_events, [first.graceid, better.graceid]);
    assert.equal((await store.getEvent(better.graceid)).superevent, id);
    const logs = await store.getLogs(id);
    assert.equal(
      logs.at(-1)?.comment,
      `Updated superevent parameters: t_0: ${MIDNIGHT + 10} -> ${MIDNIGHT + 10.1}, preferred_event: ${first.graceid} -> ${better.graceid}`,
    );
    assert.deepEqual(
      (await store.searchSuperevents(`t_0: ${MIDNIGHT + 10.05} .. ${MIDNIGHT + 10.2}`)).map((s) => s.superevent_id),
      [id],
    );
  });

  it('treats an update that changes nothing as success, without a log entry', async () => {
    const { store } = freshStore(redis);
    const event = await uploadEvent(store, MIDNIGHT + 10);
    const created = await store.createSuperevent({
      t_start: MIDNIGHT + 9,
      t_0: MIDNIGHT + 10,
      t_end: MIDNIGHT + 11,
      preferred_event: event.graceid,
    });
    const logsBefore = (await store.getLogs(created.superevent_id)).length;
    const same = await store.updateSuperevent(created.superevent_id, { preferred_event: event.graceid, t_0: MIDNIGHT + 10 });
    assert.deepEqual(same, created);
    assert.equal((await store.getLogs(created.superevent_id)).length, logsBefore);
  });

  it('refuses a preferred event that belongs to another superevent', async () => {
    const { store } = freshStore(redis);
    const a = await uploadEvent(store, MIDNIGHT + 10);
    const b = await uploadEvent(store, MIDNIGHT + 500);
    const first = await store.createSuperevent({
      t_start: MIDNIGHT + 9,
      t_0: MIDNIGHT + 10,
      t_end: MIDNIGHT + 11,
      preferred_event: a.graceid,
    });
    await store.createSuperevent({ t_start: MIDNIGHT + 499, t_0: MIDNIGHT + 500, t_end: MIDNIGHT + 501, preferred_event: b.graceid });
    await assert.rejects(store.updateSuperevent(first.superevent_id, { preferred_event: b.graceid }), {
      name: 'GraceDbBadRequestError',
      message: /already assigned/,
    });
  });
});
