// Typeahead endpoints against the embedded GraceDB (filtering, ordering, impossible dates, caching) and a failing GraceDB (502).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, type InProcess } from '../helpers/in-process.js';
import { createApp } from '../../src/web/app.js';
import { createGraceDb } from '../../src/gracedb/index.js';
import { dateToGps } from '../../src/gracedb/gps-time.js';
import { partialDateRange } from '../../src/web/handlers/typeahead.js';

function eventFile(gpstime: number, snr: number, far: number): string {
  return JSON.stringify({ gpstime, far, instruments: 'H1,L1', extra_attributes: { CoincInspiral: { snr } } });
}

describe('typeahead', () => {
  let fx: InProcess;
  let supereventId: string;
  let eventIds: string[];

  before(async () => {
    // No rate limit here: the flood below comes from one address (the limit: its own suite).
    fx = await startInProcess({ app: true, env: { ...CONSOLE_ACCESS, GWQUEUE_TYPEAHEAD_PER_MINUTE: '0' } });
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

  test("file names by tag and suffix, in log order (GWCelery's), as name,version", async () => {
    const skymaps = await request(fx.app).get('/typeahead_skymap_filename').query({ superevent_id: supereventId }).expect(200);
    assert.deepEqual(skymaps.body, ['bayestar.multiorder.fits,0', 'bayestar.multiorder.fits,1']);
    const emBright = await request(fx.app).get('/typeahead_em_bright_filename').query({ superevent_id: supereventId }).expect(200);
    assert.deepEqual(emBright.body, ['em_bright.json,0']);
    const pAstro = await request(fx.app).get('/typeahead_p_astro_filename').query({ superevent_id: supereventId }).expect(200);
    assert.deepEqual(pAstro.body, []);
  });

  test('answers are cached in the console process for 30 s, not in Redis', async () => {
    await request(fx.app).get('/typeahead_em_bright_filename').query({ superevent_id: supereventId, filename: 'em' }).expect(200);
    await fx.gracedb.writeLog(supereventId, 'newer', { filename: 'em_bright.json', filecontents: '{"a":1}', tags: ['em_bright'] });
    const cached = await request(fx.app)
      .get('/typeahead_em_bright_filename')
      .query({ superevent_id: supereventId, filename: 'em' })
      .expect(200);
    assert.deepEqual(cached.body, ['em_bright.json,0'], 'the cached answer');
    // One source (the superevent's files) serves every partial name: another partial is picked from the same look-up.
    const other = await request(fx.app).get('/typeahead_em_bright_filename').query({ superevent_id: supereventId, filename: 'x' });
    assert.deepEqual(other.body, []);
    assert.deepEqual(await fx.engine.client.redis.keys(`{${fx.engine.config.prefix}}:typeahead:*`), []);
  });

  test('a flood of distinct anonymous requests leaves the number of Redis keys bounded, and answers stay right', async () => {
    const redis = fx.engine.client.redis;
    const app = fx.app;
    const before = await redis.dbsize();
    const samplesKey = `{${fx.engine.config.prefix}}:monitoring:alert-failure-samples`;
    const urls: string[] = [];
    for (let i = 0; i < 300; i++) {
      const n = String(i).padStart(3, '0');
      const letters = (i + 26 * 27).toString(26).replace(/./g, (c) => String.fromCharCode(97 + parseInt(c, 26)));
      urls.push(
        `/typeahead_superevent_id?superevent_id=${encodeURIComponent(`x${n}`)}`,
        `/typeahead_superevent_id?superevent_id=S2401${n.slice(1)}`,
        `/typeahead_event_id?superevent_id=${supereventId}&event_id=G${n}`,
        // Valid IDs that GraceDB does not know: a new look-up source each, more than the cache holds.
        `/typeahead_skymap_filename?superevent_id=S240102${letters}&filename=${n}`,
        `/typeahead_event_detectors?event_id=G9${n}`,
        `/no/such/page/${n}`,
        '/readyz',
      );
    }
    for (let i = 0; i < urls.length; i += 25) {
      await Promise.all(urls.slice(i, i + 25).map((url) => request(app).get(url)));
    }
    const after = await redis.dbsize();
    // 2,100 requests, 1,500 of them distinct typeahead queries: what they may add is a handful of fixed keys (the
    // host sampler's, the health check's samples), never one per query.
    assert.ok(after - before <= 5, `${before} keys before, ${after} after`);
    const samples = await redis.zcard(samplesKey);
    assert.ok(samples <= 2, `300 health checks in a few seconds keep ${samples} samples`);
    const res = await request(app).get('/typeahead_superevent_id').query({ superevent_id: 'S2401' }).expect(200);
    assert.deepEqual(res.body, ['S240101a']);
    const events = await request(app).get('/typeahead_event_id').query({ superevent_id: supereventId }).expect(200);
    assert.deepEqual(
      events.body.map((e: { graceid: string }) => e.graceid),
      eventIds,
    );
  });
});

describe('typeahead rate limit', () => {
  let fx: InProcess;
  before(async () => {
    fx = await startInProcess({ app: true, env: { ...CONSOLE_ACCESS, GWQUEUE_TYPEAHEAD_PER_MINUTE: '5' } });
  });
  after(async () => {
    await fx?.stop();
  });

  test('more than GWQUEUE_TYPEAHEAD_PER_MINUTE from one address get 429, across endpoints, with nothing kept in Redis', async () => {
    const before = await fx.engine.client.redis.dbsize();
    for (let i = 0; i < 5; i++)
      await request(fx.app)
        .get('/typeahead_superevent_id')
        .query({ superevent_id: `q${i}` })
        .expect(200);
    const refused = await request(fx.app).get('/typeahead_event_detectors').query({ event_id: 'G1' }).expect(429);
    assert.match(refused.body.error, /more than 5 typeahead requests a minute from this address/);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    // Other pages are not limited by it.
    await request(fx.app).get('/healthz').expect(200);
    assert.equal(await fx.engine.client.redis.dbsize(), before);
  });
});

describe('typeahead with a failing GraceDB', () => {
  let fx: InProcess;
  let server: http.Server;
  let app: ReturnType<typeof createApp>;

  before(async () => {
    fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
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
