// Typeahead endpoints against the embedded GraceDB (filtering, ordering, impossible dates, caching) and a failing GraceDB (502).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import request from 'supertest';
import { startConsole, type ConsoleFixture } from './console-fixture.js';
import { createApp } from '../../src/web/app.js';
import { createGraceDb } from '../../src/gracedb/index.js';
import { dateToGps } from '../../src/gracedb/gps-time.js';
import { partialDateRange } from '../../src/web/handlers/typeahead.js';

function eventFile(gpstime: number, snr: number, far: number): string {
  return JSON.stringify({ gpstime, far, instruments: 'H1,L1', extra_attributes: { CoincInspiral: { snr } } });
}

describe('typeahead', () => {
  let fx: ConsoleFixture;
  let supereventId: string;
  let eventIds: string[];

  before(async () => {
    fx = await startConsole();
    const t0 = dateToGps(new Date(Date.UTC(2024, 0, 1, 12)));
    const weak = await fx.gracedb.createEvent({
      group: 'CBC',
      pipeline: 'gstlal',
      search: 'AllSky',
      filename: 'e.json',
      filecontents: eventFile(t0, 8.5, 1e-6),
    });
    const strong = await fx.gracedb.createEvent({
      group: 'CBC',
      pipeline: 'pycbc',
      search: 'AllSky',
      filename: 'e.json',
      filecontents: eventFile(t0 + 0.1, 14.2, 1e-9),
    });
    const preferred = await fx.gracedb.createEvent({
      group: 'CBC',
      pipeline: 'MBTA',
      search: 'AllSky',
      filename: 'e.json',
      filecontents: eventFile(t0 + 0.05, 10.1, 1e-8),
    });
    const superevent = await fx.gracedb.createSuperevent({
      t_start: t0 - 1,
      t_0: t0,
      t_end: t0 + 1,
      preferred_event: preferred.graceid,
      events: [weak.graceid, strong.graceid],
    });
    supereventId = superevent.superevent_id;
    eventIds = [strong.graceid, preferred.graceid, weak.graceid];
    await fx.gracedb.writeLog(supereventId, 'sky map', { filename: 'bayestar.multiorder.fits', filecontents: 'SIMPLE', tags: ['sky_loc'] });
    await fx.gracedb.writeLog(supereventId, 'sky map again', {
      filename: 'bayestar.multiorder.fits',
      filecontents: 'SIMPLE2',
      tags: ['sky_loc'],
    });
    await fx.gracedb.writeLog(supereventId, 'em bright', { filename: 'em_bright.json', filecontents: '{}', tags: ['em_bright'] });
    await fx.gracedb.writeLog(supereventId, 'untagged json', { filename: 'other.json', filecontents: '{}', tags: [] });
  });
  after(async () => {
    await fx?.stop();
  });

  test('partial superevent IDs match by date; impossible dates give [] without asking GraceDB', async () => {
    assert.equal(supereventId, 'S240101a');
    for (const partial of ['S', 'S24', 'S2401', 'S24010', 'S240101', 'S240101a']) {
      const res = await request(fx.app).get('/typeahead_superevent_id').query({ superevent_id: partial }).expect(200);
      assert.deepEqual(res.body, ['S240101a'], partial);
    }
    for (const partial of ['S2402', 'MS2401', 'S2413', 'S240132', 'S240230', 'S2404310', 'nonsense', '']) {
      const res = await request(fx.app).get('/typeahead_superevent_id').query({ superevent_id: partial }).expect(200);
      assert.deepEqual(res.body, [], partial);
    }
    assert.equal(partialDateRange('2413'), null);
    assert.equal(partialDateRange('240230'), null);
    assert.deepEqual(partialDateRange('2402')?.to, new Date(Date.UTC(2024, 2, 1)));
  });

  test("a superevent's events, lowest FAR first, with group, pipeline, SNR and FAR", async () => {
    const res = await request(fx.app).get('/typeahead_event_id').query({ superevent_id: supereventId }).expect(200);
    assert.deepEqual(
      res.body.map((e: { graceid: string }) => e.graceid),
      eventIds,
    );
    assert.deepEqual(res.body[1], {
      graceid: eventIds[1],
      group: 'CBC',
      pipeline: 'MBTA',
      search: 'AllSky',
      snr: 10.1,
      far: 1e-8,
      preferred: true,
    });
    const filtered = await request(fx.app)
      .get('/typeahead_event_id')
      .query({ superevent_id: supereventId, event_id: eventIds[2] })
      .expect(200);
    assert.deepEqual(
      filtered.body.map((e: { graceid: string }) => e.graceid),
      [eventIds[2]],
    );
    const missing = await request(fx.app).get('/typeahead_event_id').query({ superevent_id: 'S991231z' }).expect(200);
    assert.deepEqual(missing.body, [], "GraceDB's 404 is an empty list");
  });

  test('file names by tag and suffix, newest version first, as name,version', async () => {
    const skymaps = await request(fx.app).get('/typeahead_skymap_filename').query({ superevent_id: supereventId }).expect(200);
    assert.deepEqual(skymaps.body, ['bayestar.multiorder.fits,1', 'bayestar.multiorder.fits,0']);
    const emBright = await request(fx.app).get('/typeahead_em_bright_filename').query({ superevent_id: supereventId }).expect(200);
    assert.deepEqual(emBright.body, ['em_bright.json,0']);
    const pAstro = await request(fx.app).get('/typeahead_p_astro_filename').query({ superevent_id: supereventId }).expect(200);
    assert.deepEqual(pAstro.body, []);
  });

  test('answers are cached in Redis for 30 s', async () => {
    await request(fx.app).get('/typeahead_em_bright_filename').query({ superevent_id: supereventId, filename: 'em' }).expect(200);
    await fx.gracedb.writeLog(supereventId, 'newer', { filename: 'em_bright.json', filecontents: '{"a":1}', tags: ['em_bright'] });
    const cached = await request(fx.app)
      .get('/typeahead_em_bright_filename')
      .query({ superevent_id: supereventId, filename: 'em' })
      .expect(200);
    assert.deepEqual(cached.body, ['em_bright.json,0'], 'the cached answer');
    const keys = await fx.engine.client.redis.keys(`${'{'}${fx.engine.config.prefix}}:typeahead:*`);
    assert.ok(keys.length > 0);
    const ttl = await fx.engine.client.redis.ttl(keys[0]);
    assert.ok(ttl > 0 && ttl <= 30, `ttl ${ttl}`);
  });
});

describe('typeahead with a failing GraceDB', () => {
  let fx: ConsoleFixture;
  let server: http.Server;
  let app: ReturnType<typeof createApp>;

  before(async () => {
    fx = await startConsole();
    server = http.createServer((req, res) => {
      res
        .writeHead(req.url?.includes('S240101b') ? 404 : 500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ detail: 'database on fire' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address() as { port: number };
    const gracedb = createGraceDb({
      url: `http://127.0.0.1:${address.port}/api/`,
      redis: fx.engine.client.redis,
      prefix: 'unused',
      retry: { attempts: 1 },
    });
    app = createApp({ config: fx.engine.config, client: fx.engine.client, gracedb, listenHost: '127.0.0.1' });
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await fx?.stop();
  });

  test('GraceDB errors answer 502 with a JSON error; its 404 answers []', async () => {
    const res = await request(app).get('/typeahead_event_id').query({ superevent_id: 'S240101a' }).expect(502);
    assert.match(res.body.error, /GraceDB answered with an error/);
    const missing = await request(app).get('/typeahead_event_id').query({ superevent_id: 'S240101b' }).expect(200);
    assert.deepEqual(missing.body, []);
  });
});
