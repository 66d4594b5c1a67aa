// A GraceDB API write whose answer from Redis is lost (Redis ran it, then the console's connection died): the write is there once, with or without an Idempotency-Key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { startReplyCutProxy, type ReplyCutProxy } from '../helpers/reply-cut-proxy.js';
import { loadEveryScript } from '../helpers/lua-scripts.js';
import { testConfig } from '../helpers/in-process.js';
import { startWebServer, type WebServer } from '../../src/web/server.js';
import { EmbeddedGraceDb } from '../../src/gracedb/index.js';
import { GraceDbRestClient } from '../../src/gracedb/rest-client.js';
import { bullPrefix } from '../../src/redis/keys.js';
import type { Config } from '../../src/config/index.js';
import { jsonEvent } from '../gracedb/sample-files.js';
import { AS_OPERATOR, OPERATOR_TOKEN } from './api-client.js';

describe('GraceDB API: a write whose answer is lost', () => {
  let redis: TestRedis;
  let proxy: ReplyCutProxy;
  let direct: Redis;
  let config: Config;
  let web: WebServer;
  let root: string;
  let store: EmbeddedGraceDb;

  before(async () => {
    redis = await startRedis();
    proxy = await startReplyCutProxy(Number(new URL(redis.url).port));
    config = testConfig(proxy.url, { GWQUEUE_API_TOKENS: `robot=${OPERATOR_TOKEN}` });
    web = await startWebServer(config, { port: 0, host: '127.0.0.1' });
    root = `${web.url}/gracedb/api/`;
    direct = new Redis(redis.url);
    await loadEveryScript(direct);
    store = new EmbeddedGraceDb(direct, bullPrefix(config));
  });
  after(async () => {
    direct?.disconnect();
    await web?.close(1000);
    await proxy?.close();
    await redis?.stop();
  });

  test('an event upload without an Idempotency-Key is stored once', async () => {
    const marker = 'lost-reply-event-upload';
    const file = JSON.stringify({ gpstime: 1400000100, far: 1e-9, instruments: 'H1,L1', extra_attributes: { note: marker } });
    const before = proxy.connections();
    const count = async () => (await store.searchEvents('CBC')).filter((event) => event.extra_attributes.note === marker).length;
    const cut = proxy.cutReplyTo(marker);
    const form = new FormData();
    form.append('group', 'CBC');
    form.append('pipeline', 'gstlal');
    form.append('eventFile', new Blob([file]), 'event.json');
    const response = await fetch(`${root}events/`, { method: 'POST', headers: AS_OPERATOR, body: form });
    assert.doesNotMatch((await cut).toString(), /^-/, 'the lost answer was that of a command Redis ran');
    assert.ok(proxy.connections() > before, 'the connection was cut and made again');
    const text = await response.text();
    assert.ok(response.status === 201 || response.status === 503, `${response.status}: ${text}`);
    assert.equal(await count(), 1, `one event (the answer was ${response.status})`);
  });

  for (const keyed of [false, true]) {
    test(`a log entry ${keyed ? 'with' : 'without'} an Idempotency-Key is written once`, async () => {
      const event = await store.createEvent({ group: 'CBC', pipeline: 'gstlal', filename: 'e.json', filecontents: jsonEvent(1400000000) });
      const marker = `lost-reply-${keyed ? 'keyed' : 'plain'}`;
      const before = proxy.connections();
      const cut = proxy.cutReplyTo(marker);
      const response = await fetch(`${root}events/${event.graceid}/log/`, {
        method: 'POST',
        headers: { ...AS_OPERATOR, 'content-type': 'application/json', ...(keyed ? { 'idempotency-key': `${marker}-000000` } : {}) },
        body: JSON.stringify({ comment: marker }),
      });
      assert.doesNotMatch((await cut).toString(), /^-/, 'the lost answer was that of a command Redis ran');
      assert.ok(proxy.connections() > before, 'the connection was cut and made again');
      const text = await response.text();
      assert.ok(response.status === 201 || response.status === 503, `${response.status}: ${text}`);
      const entries = (await store.getLogs(event.graceid)).filter((entry) => entry.comment === marker);
      assert.equal(entries.length, 1, `one entry (the answer was ${response.status})`);
    });
  }

  test("gwqueue's REST client: a write whose HTTP answer is lost is sent again with the same Idempotency-Key, and written once", async () => {
    const event = await store.createEvent({ group: 'CBC', pipeline: 'gstlal', filename: 'e.json', filecontents: jsonEvent(1400000001) });
    // A loopback proxy in front of the console's HTTP port: the request reaches the API, its answer never comes back.
    const http = await startReplyCutProxy(Number(new URL(web.url).port));
    try {
      const client = new GraceDbRestClient({
        url: `${http.url.replace('redis://', 'http://')}/gracedb/api/`,
        token: OPERATOR_TOKEN,
        retry: { attempts: 3, initialDelayMs: 10 },
      });
      const marker = 'lost-http-answer-log';
      const cut = http.cutReplyTo(marker);
      const written = await client.writeLog(event.graceid, marker);
      assert.match((await cut).toString(), /^HTTP\/1\.1 201/, 'the lost answer was that of a write the API made');
      assert.equal(written.comment, marker, 'the retry was answered with the first write');
      const entries = (await store.getLogs(event.graceid)).filter((entry) => entry.comment === marker);
      assert.equal(entries.length, 1, 'one entry, not one per try');
    } finally {
      await http.close();
    }
  });
});
