// Every kind of record the embedded GraceDB answers has GraceDB's shape: the sample's keys, value types and formats
// (created as `YYYY-MM-DD HH:MM:SS UTC`, links where GraceDB puts them); pipeline-preferred events and the RAVEN fields
// behave as GraceDB's serializers say; the REST client uses GraceDB's paths for them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { GRACEDB_TIME, graceDbTime, parseGraceDbTime } from '../../src/gracedb/gps-time.js';
import { GraceDbBadRequestError } from '../../src/gracedb/errors.js';
import type { EmbeddedGraceDb } from '../../src/gracedb/index.js';
import { GraceDbRestClient } from '../../src/gracedb/rest-client.js';
import { startRedisClient, stopRedisClient, type TestRedis } from '../helpers/redis-server.js';
import { freshStore, uploadEvent } from './embedded-fixture.js';
import { coincXml, grbVoEvent } from './sample-files.js';
import { EVENT_KEYS_NOT_KEPT, EVENT_SAMPLE, LOG_SAMPLE, PIPELINE_PREFERRED_SAMPLE, SUPEREVENT_SAMPLE } from './graceddb-samples.js';
import { fakeGraceDbForEachTest, type FakeGraceDb } from './fake-gracedb.js';

/** A Fermi GRB notice as an External event: a record with neither FAR, likelihood nor nevents, and a RAVEN em_type. */
function uploadGrb(store: EmbeddedGraceDb) {
  return store.createEvent({
    group: 'External',
    pipeline: 'Fermi',
    search: 'GRB',
    filename: 'grb.xml',
    filecontents: grbVoEvent('2024-05-01T12:00:00'),
  });
}

/** The JSON type of a value, `null` kept apart: what a client branches on. */
function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * The record has exactly the sample's keys (less `notKept`), and each value the sample's type — a null in either is
 * allowed where GraceDB's field is nullable (`nullable`).
 */
function assertShape(name: string, record: object, sample: object, nullable: string[] = [], notKept: string[] = []): void {
  const expected = Object.keys(sample)
    .filter((key) => !notKept.includes(key))
    .sort();
  assert.deepEqual(Object.keys(record).sort(), expected, `${name}: GraceDB's keys`);
  for (const key of expected) {
    const got = kind((record as Record<string, unknown>)[key]);
    const want = kind((sample as Record<string, unknown>)[key]);
    if (nullable.includes(key) && (got === 'null' || want === 'null')) continue;
    assert.equal(got, want, `${name}.${key}: ${got}, GraceDB sends ${want}`);
  }
}

describe("embedded GraceDB records in GraceDB's shapes", () => {
  let server: TestRedis;
  let redis: Redis;

  before(async () => ({ server, redis } = await startRedisClient()));
  after(() => stopRedisClient(server, redis));

  it('the samples themselves use GraceDB’s time format', () => {
    for (const created of [EVENT_SAMPLE.created, SUPEREVENT_SAMPLE.created, LOG_SAMPLE.created]) assert.match(created, GRACEDB_TIME);
    assert.equal(graceDbTime(new Date('2024-05-01T12:34:56.789Z')), '2024-05-01 12:34:56 UTC');
    assert.equal(parseGraceDbTime('2024-05-01 12:34:56 UTC').toISOString(), '2024-05-01T12:34:56.000Z');
    // Records stored before (ISO 8601) read the same way, so sorting or showing them keeps working.
    assert.equal(parseGraceDbTime('2024-05-01T12:34:56.000Z').toISOString(), '2024-05-01T12:34:56.000Z');
  });

  it('an event: nevents, likelihood, far_is_upper_limit, created, links', async () => {
    const { store } = freshStore(redis);
    const started = Date.now();
    const uploaded = await store.createEvent({
      group: 'CBC',
      pipeline: 'gstlal',
      search: 'AllSky',
      filename: 'coinc.xml',
      filecontents: coincXml({ endTime: 1398600000, endTimeNs: 123456000, far: 3.2e-10, snr: 12, ifos: 'H1,L1' }),
    });
    const event = await store.getEvent(uploaded.graceid);
    assert.deepEqual(event, uploaded);
    assertShape('event', event, EVENT_SAMPLE, ['superevent', 'likelihood', 'nevents'], EVENT_KEYS_NOT_KEPT);
    assert.match(event.created, GRACEDB_TIME);
    const created = parseGraceDbTime(event.created).getTime();
    assert.ok(created >= Math.floor(started / 1000) * 1000 && created <= Date.now(), event.created);
    assert.equal(event.far_is_upper_limit, false);
    assert.equal(event.nevents, 2, 'one trigger per detector of the coinc file');
    assert.deepEqual(Object.keys(event.links).sort(), Object.keys(EVENT_SAMPLE.links).sort());
    assert.ok(event.links.self.endsWith(`events/${event.graceid}`), event.links.self);
    // JSON uploads may give both; a GRB notice gives neither.
    const json = await store.createEvent({
      group: 'CBC',
      pipeline: 'pycbc',
      filename: 'event.json',
      filecontents: JSON.stringify({ gpstime: 1398600000.2, far: 1e-9, instruments: 'H1,L1', nevents: 3, likelihood: 17.25 }),
    });
    assert.deepEqual([json.nevents, json.likelihood], [3, 17.25]);
    const grb = await uploadGrb(store);
    // A GRB notice without a FAR: null, as GraceDB's nullable far.
    assertShape('external event', grb, EVENT_SAMPLE, ['superevent', 'likelihood', 'nevents', 'far'], EVENT_KEYS_NOT_KEPT);
    assert.deepEqual([grb.nevents, grb.likelihood], [null, null]);
  });

  it('a superevent: pipeline_preferred_events, em_type and the coincidence FARs, created', async () => {
    const { store } = freshStore(redis);
    const gstlal = await uploadEvent(store, 1398600000.1, { pipeline: 'gstlal', far: 3e-10 });
    const created = await store.createSuperevent({
      t_start: 1398599999,
      t_0: 1398600000.1,
      t_end: 1398600001,
      preferred_event: gstlal.graceid,
    });
    const superevent = await store.getSuperevent(created.superevent_id);
    assertShape('superevent', superevent, SUPEREVENT_SAMPLE, ['gw_id', 'em_type', 'time_coinc_far', 'space_coinc_far']);
    assert.match(superevent.created, GRACEDB_TIME);
    assert.deepEqual([superevent.em_type, superevent.time_coinc_far, superevent.space_coinc_far], [null, null, null]);
    // The preferred event is its pipeline's preferred event from the start.
    assert.deepEqual(Object.keys(superevent.pipeline_preferred_events), ['gstlal']);
    assertShape(
      'pipeline-preferred event',
      superevent.pipeline_preferred_events.gstlal,
      EVENT_SAMPLE,
      ['superevent', 'likelihood', 'nevents'],
      EVENT_KEYS_NOT_KEPT,
    );
    assert.equal(superevent.pipeline_preferred_events.gstlal.graceid, gstlal.graceid);
    assertShape(
      'preferred_event_data',
      superevent.preferred_event_data!,
      EVENT_SAMPLE,
      ['superevent', 'likelihood', 'nevents'],
      EVENT_KEYS_NOT_KEPT,
    );

    const grb = await uploadGrb(store);
    const raven = await store.updateSuperevent(superevent.superevent_id, {
      em_type: grb.graceid,
      time_coinc_far: 1.1e-12,
      space_coinc_far: 4.5e-14,
    });
    assert.deepEqual([raven.em_type, raven.time_coinc_far, raven.space_coinc_far], [grb.graceid, 1.1e-12, 4.5e-14]);
    assertShape('superevent with RAVEN fields', raven, SUPEREVENT_SAMPLE, ['gw_id']);
    const logged = (await store.getLogs(superevent.superevent_id)).at(-1)!.comment;
    assert.equal(
      logged,
      `Updated superevent parameters: em_type: None -> ${grb.graceid}, time_coinc_far: None -> 1.1e-12, space_coinc_far: None -> 4.5e-14`,
    );
    await assert.rejects(store.updateSuperevent(superevent.superevent_id, { time_coinc_far: -1 }), GraceDbBadRequestError);
    // t_0 alone, as the preferred-event forms set it, and its index follows (a t_0 search finds it).
    const moved = await store.updateSuperevent(superevent.superevent_id, { t_0: 1398600000.4 });
    assert.equal(moved.t_0, 1398600000.4);
    assert.deepEqual(
      (await store.searchSuperevents('t_0: 1398600000.35 .. 1398600000.45')).map((found) => found.superevent_id),
      [superevent.superevent_id],
    );
  });

  it('a log entry: self, tags and file links, created', async () => {
    const { store } = freshStore(redis);
    const event = await uploadEvent(store, 1398600000.1);
    const superevent = await store.createSuperevent({
      t_start: 1398599999,
      t_0: 1398600000.1,
      t_end: 1398600001,
      preferred_event: event.graceid,
    });
    const sid = superevent.superevent_id;
    const written = await store.writeLog(sid, 'a sky map', {
      filename: 'bayestar.multiorder.fits',
      filecontents: Buffer.from('x'),
      tags: ['sky_loc'],
    });
    const plain = await store.writeLog(sid, 'just words');
    const logs = await store.getLogs(sid);
    assert.deepEqual(logs.at(-2), written);
    assert.deepEqual(logs.at(-1), plain);
    for (const entry of logs) {
      assertShape(`log ${entry.N}`, entry, LOG_SAMPLE, ['file_version', 'file']);
      assert.match(entry.created, GRACEDB_TIME);
      assert.ok(entry.self.endsWith(`superevents/${sid}/logs/${entry.N}/`), entry.self);
      assert.equal(entry.tags, `${entry.self}tags/`);
    }
    assert.ok(written.file?.endsWith(`superevents/${sid}/files/bayestar.multiorder.fits,0`), String(written.file));
    assert.equal(plain.file, null);
    assert.equal(plain.filename, '');
    const eventLog = (await store.getLogs(event.graceid))[0];
    assert.ok(eventLog.self.endsWith(`events/${event.graceid}/log/1`), eventLog.self);
    assert.equal(eventLog.tags, `${eventLog.self}/tag/`);
    assert.ok(eventLog.file?.endsWith(`events/${event.graceid}/files/event.json,0`), String(eventLog.file));
  });

  it("pipeline-preferred events: added, listed, and GraceDB's refusals", async () => {
    const { store } = freshStore(redis);
    const gstlal = await uploadEvent(store, 1398600000.1, { pipeline: 'gstlal', far: 1e-10 });
    const sid = (
      await store.createSuperevent({ t_start: 1398599999, t_0: 1398600000.1, t_end: 1398600001, preferred_event: gstlal.graceid })
    ).superevent_id;
    const pycbc = await uploadEvent(store, 1398600000.2, { pipeline: 'pycbc', far: 1e-9 });
    const mbta = await uploadEvent(store, 1398600000.3, { pipeline: 'MBTA', far: 1e-8 });
    await store.addEventToSuperevent(sid, mbta.graceid);
    const secondGstlal = await uploadEvent(store, 1398600000.4, { pipeline: 'gstlal', far: 1e-11 });

    // pycbc is in no superevent yet: adding it also makes it a member, as GraceDB does.
    const entry = await store.addPipelinePreferredEvent(sid, pycbc.graceid);
    assertShape('pipeline-preferred entry', entry, PIPELINE_PREFERRED_SAMPLE);
    assert.equal(entry.graceid, pycbc.graceid);
    await store.addPipelinePreferredEvent(sid, mbta.graceid);
    const listed = await store.getPipelinePreferredEvents(sid);
    assert.deepEqual(listed.map((item) => item.graceid).sort(), [gstlal.graceid, mbta.graceid, pycbc.graceid].sort());
    for (const item of listed) assertShape('listed entry', item, PIPELINE_PREFERRED_SAMPLE);
    const superevent = await store.getSuperevent(sid);
    assert.deepEqual(Object.keys(superevent.pipeline_preferred_events).sort(), ['MBTA', 'gstlal', 'pycbc']);
    assert.ok(superevent.gw_events.includes(pycbc.graceid));
    assert.equal((await store.getEvent(pycbc.graceid)).superevent, sid);
    assert.ok((await store.getLogs(sid)).some((log) => log.comment === `Set ${pycbc.graceid} as the pycbc pipeline-preferred event`));

    await assert.rejects(store.addPipelinePreferredEvent(sid, pycbc.graceid), {
      message: `Event ${pycbc.graceid} is already the pycbc pipeline-preferred event for ${sid}`,
    });
    await assert.rejects(store.addPipelinePreferredEvent(sid, secondGstlal.graceid), {
      message: `Adding ${secondGstlal.graceid} as a pipeline-preferred event would remove ${gstlal.graceid} as the preferred event`,
    });
    const elsewhere = await uploadEvent(store, 1398700000.1, { pipeline: 'spiir' });
    await store.createSuperevent({ t_start: 1398699999, t_0: 1398700000.1, t_end: 1398700001, preferred_event: elsewhere.graceid });
    await assert.rejects(store.addPipelinePreferredEvent(sid, elsewhere.graceid), {
      message: `Event ${elsewhere.graceid} is part of a different superevent`,
    });

    // A new preferred event becomes its pipeline's preferred event; the others stay.
    await store.updateSuperevent(sid, { preferred_event: secondGstlal.graceid });
    const after = await store.getSuperevent(sid);
    assert.equal(after.pipeline_preferred_events.gstlal.graceid, secondGstlal.graceid);
    assert.equal(after.pipeline_preferred_events.pycbc.graceid, pycbc.graceid);
  });
});

describe('REST client: pipeline-preferred events and the RAVEN fields at GraceDB’s paths', () => {
  let fake: FakeGraceDb;
  let client: GraceDbRestClient;
  const FAST_RETRY = { attempts: 2, initialDelayMs: 5, maxDelayMs: 20, timeoutMs: 2000 };

  fakeGraceDbForEachTest({ token: 'sekret', retry: FAST_RETRY }, (started, fresh) => {
    [fake, client] = [started, fresh];
  });

  it('adds with POST superevents/S/pipeline_preferred_events/ {event} and lists every page', async () => {
    const path = 'superevents/S240501ab/pipeline_preferred_events/';
    fake.on('POST', path, { status: 201, json: PIPELINE_PREFERRED_SAMPLE });
    assert.deepEqual(await client.addPipelinePreferredEvent('S240501ab', 'G424243'), PIPELINE_PREFERRED_SAMPLE);
    assert.deepEqual(fake.requestsTo('POST', path)[0].json, { event: 'G424243' });
    fake.on('GET', path, (request) =>
      request.query.get('page') === '2'
        ? { json: { pipeline_preferred_events: [{ self: 'x', graceid: 'G2' }], links: { next: null } } }
        : { json: { pipeline_preferred_events: [{ self: 'y', graceid: 'G1' }], links: { next: `${fake.apiUrl}${path}?page=2` } } },
    );
    assert.deepEqual(
      (await client.getPipelinePreferredEvents('S240501ab')).map((item) => item.graceid),
      ['G1', 'G2'],
    );
  });

  it("a refusal keeps GraceDB's words", async () => {
    fake.on('POST', 'superevents/S240501ab/pipeline_preferred_events/', {
      status: 400,
      json: ['Event G424243 is already the gstlal pipeline-preferred event for S240501ab'],
    });
    await assert.rejects(client.addPipelinePreferredEvent('S240501ab', 'G424243'), (error: unknown) => {
      assert.ok(error instanceof GraceDbBadRequestError);
      assert.match(error.serverMessage, /is already the gstlal pipeline-preferred event/);
      return true;
    });
  });

  it('PATCHes em_type, time_coinc_far, space_coinc_far and t_0 with their GraceDB names', async () => {
    fake.on('PATCH', 'superevents/S240501ab/', { json: SUPEREVENT_SAMPLE });
    await client.updateSuperevent('S240501ab', {
      em_type: 'E424250',
      time_coinc_far: 1.1e-12,
      space_coinc_far: 4.5e-14,
      t_0: 1398600000.5,
    });
    assert.deepEqual(fake.requestsTo('PATCH', 'superevents/S240501ab/')[0].json, {
      em_type: 'E424250',
      time_coinc_far: 1.1e-12,
      space_coinc_far: 4.5e-14,
      t_0: 1398600000.5,
    });
  });
});
