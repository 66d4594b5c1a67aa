// Embedded store: every supported search term, combinations, ordering, paging and refused terms.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { EmbeddedGraceDb } from '../../src/gracedb/embedded-store.js';
import { dateToGps } from '../../src/gracedb/gps-time.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { freshStore, uploadEvent } from './embedded-fixture.js';

const T0 = dateToGps(new Date('2024-01-15T12:00:00Z'));

describe('embedded GraceDB: search', () => {
  let server: TestRedis;
  let redis: Redis;
  let store: EmbeddedGraceDb;
  const ids: Record<string, string> = {};

  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    ({ store } = freshStore(redis));
    // Three events in production superevent S240115a, one MDC event in MS240115a, one test event alone.
    const g1 = await uploadEvent(store, T0, { far: 1e-9 });
    const g2 = await uploadEvent(store, T0 + 0.5, { pipeline: 'pycbc', far: 1e-7 });
    const grb = await uploadEvent(store, T0 + 3, { group: 'External', pipeline: 'Fermi', search: 'GRB' });
    const m1 = await uploadEvent(store, T0 + 100, { search: 'MDC', labels: ['EM_READY'] });
    const t1 = await uploadEvent(store, T0 + 86400, { group: 'Test' });
    Object.assign(ids, { g1: g1.graceid, g2: g2.graceid, grb: grb.graceid, m1: m1.graceid, t1: t1.graceid });
    await store.createSuperevent({ t_start: T0 - 1, t_0: T0, t_end: T0 + 1, preferred_event: g1.graceid, labels: ['EM_READY', 'ADVOK'] });
    await store.addEventToSuperevent('S240115a', g2.graceid);
    await store.addEventToSuperevent('S240115a', grb.graceid);
    await store.createSuperevent({ t_start: T0 + 99, t_0: T0 + 100, t_end: T0 + 101, preferred_event: m1.graceid, category: 'mdc' });
    await store.createSuperevent({
      t_start: T0 + 86399,
      t_0: T0 + 86400,
      t_end: T0 + 86401,
      preferred_event: t1.graceid,
      category: 'test',
    });
  });
  after(async () => {
    await redis.quit();
    await server.stop();
  });

  const eventIds = async (query: string, options = {}) => (await store.searchEvents(query, options)).map((event) => event.graceid);
  const supereventIds = async (query: string, options = {}) => (await store.searchSuperevents(query, options)).map((s) => s.superevent_id);

  it('lists everything newest first for an empty query', async () => {
    assert.deepEqual(await eventIds(''), [ids.t1, ids.m1, ids.grb, ids.g2, ids.g1]);
    assert.deepEqual(await supereventIds(''), ['TS240116a', 'MS240115a', 'S240115a']);
  });

  it('finds superevents by category', async () => {
    assert.deepEqual(await supereventIds('category: production'), ['S240115a']);
    assert.deepEqual(await supereventIds('category: MDC'), ['MS240115a']);
    assert.deepEqual(await supereventIds('Test'), ['TS240116a']);
  });

  it('finds superevents by t_0 range, inclusive, with or without spaces around ..', async () => {
    assert.deepEqual(await supereventIds(`t_0: ${T0} .. ${T0 + 100}`), ['MS240115a', 'S240115a']);
    assert.deepEqual(await supereventIds(`t_0: ${T0 + 0.5}..${T0 + 99.5}`), []);
    assert.deepEqual(await supereventIds(`t_0: ${T0 + 100}`), ['MS240115a']);
    assert.deepEqual(await supereventIds(`t_0: ${T0 - 10} .. ${T0 + 200} category: mdc`), ['MS240115a']);
  });

  it('finds events by gpstime range and by superevent', async () => {
    assert.deepEqual(await eventIds(`gpstime: ${T0} .. ${T0 + 3}`), [ids.grb, ids.g2, ids.g1]);
    assert.deepEqual(await eventIds('superevent: S240115a'), [ids.grb, ids.g2, ids.g1]);
    assert.deepEqual(await eventIds('superevent: MS240115a'), [ids.m1]);
  });

  it('finds events by bare search, group and pipeline names', async () => {
    assert.deepEqual(await eventIds('MDC'), [ids.m1]);
    assert.deepEqual(await eventIds('Test'), [ids.t1]);
    assert.deepEqual(await eventIds('External'), [ids.grb]);
    assert.deepEqual(await eventIds('pycbc'), [ids.g2]);
    assert.deepEqual(await eventIds('pipeline: gstlal CBC'), [ids.m1, ids.g1]);
    assert.deepEqual(await eventIds('group: test search: AllSky'), [ids.t1]);
  });

  it('finds by label, written bare or as label:', async () => {
    assert.deepEqual(await supereventIds('EM_READY'), ['S240115a']);
    assert.deepEqual(await supereventIds('label: ADVOK'), ['S240115a']);
    assert.deepEqual(await supereventIds('EM_READY ADVNO'), []);
    assert.deepEqual(await eventIds('EM_READY'), [ids.m1]);
    assert.deepEqual(await eventIds('label: EM_READY MDC'), [ids.m1]);
  });

  it('finds superevents by ID prefix for a typeahead', async () => {
    assert.deepEqual(await supereventIds('id: MS2401'), ['MS240115a']);
    assert.deepEqual(await supereventIds('S2401'), ['S240115a']);
    assert.deepEqual(await supereventIds('id: S240116'), []);
    assert.deepEqual(await supereventIds('TS24'), ['TS240116a']);
  });

  it('finds superevents by preferred event', async () => {
    assert.deepEqual(await supereventIds(`preferred_event: ${ids.g1}`), ['S240115a']);
  });

  it('sorts by another field and pages with start and count', async () => {
    // FAR: g1 1e-9, g2 1e-7, the others 1e-8 (ties keep creation order, reversed when descending).
    assert.deepEqual(await eventIds('', { sort: 'far' }), [ids.g1, ids.grb, ids.m1, ids.t1, ids.g2]);
    assert.deepEqual(await eventIds('', { sort: '-far' }), [ids.g2, ids.t1, ids.m1, ids.grb, ids.g1]);
    assert.deepEqual(await eventIds('', { sort: 'gpstime', start: 1, count: 2 }), [ids.g2, ids.grb]);
    assert.deepEqual(await supereventIds('', { sort: 't_0' }), ['S240115a', 'MS240115a', 'TS240116a']);
    assert.deepEqual(await supereventIds('', { count: 1, start: 1 }), ['MS240115a']);
    assert.deepEqual(await eventIds('', { count: 2 }), [ids.t1, ids.m1]);
    await assert.rejects(store.searchEvents('', { sort: 'color' }), {
      name: 'GraceDbBadRequestError',
      message: /cannot sort events by "color"/,
    });
  });

  it('refuses unsupported terms with a message naming them', async () => {
    await assert.rejects(store.searchEvents('far < 1e-7'), { name: 'GraceDbBadRequestError', message: /unsupported query term "far"/ });
    await assert.rejects(store.searchEvents('MDC instruments: H1'), {
      name: 'GraceDbBadRequestError',
      message: /unsupported query term "instruments: H1"/,
    });
    await assert.rejects(store.searchSuperevents('gpstime: 1 .. 2'), {
      name: 'GraceDbBadRequestError',
      message: /"gpstime: 1 \.\. 2".*superevent search/,
    });
    await assert.rejects(store.searchSuperevents('category: bogus'), { name: 'GraceDbBadRequestError', message: /"category: bogus"/ });
    await assert.rejects(store.searchSuperevents('t_0: soon .. later'), { name: 'GraceDbBadRequestError', message: /GPS seconds/ });
    await assert.rejects(store.searchEvents('t_0: 1 .. 2'), { name: 'GraceDbBadRequestError', message: /"t_0: 1 \.\. 2"/ });
  });
});
