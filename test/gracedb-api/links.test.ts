// Links that resolve: records, files and alerts' urls.gracedb point at the console serving the embedded GraceDB, never at gracedb.invalid.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jsonEvent } from '../gracedb/sample-files.js';
import { createConsoleGraceDb } from '../../src/web/context.js';
import { supereventPage } from '../../src/tasks/superevent-files.js';
import { testConfig, startInProcess } from '../helpers/in-process.js';
import { startRedisClient, stopRedisClient, type TestRedis } from '../helpers/redis-server.js';
import type { Redis } from 'ioredis';
import { AS_OPERATOR, json, type ApiFixture, API_ACCESS, withApiClient } from './api-client.js';

const PUBLIC = 'https://emfollow.example.org/gwcelery';

describe('GraceDB links under the console', () => {
  let t: ApiFixture;
  let server: TestRedis;
  let redis: Redis;
  before(async () => {
    t = withApiClient(await startInProcess({ listen: true, env: { ...API_ACCESS, GWQUEUE_PUBLIC_URL: `${PUBLIC}/` } }));
    ({ server, redis } = await startRedisClient());
  });
  after(async () => {
    await t?.stop();
    await stopRedisClient(server, redis);
  });

  test('behind a proxy (GWQUEUE_PUBLIC_URL), the API links under the public address', async () => {
    const doc = await json(await fetch(t.root));
    assert.equal((doc.links as Record<string, string>).self, `${PUBLIC}/gracedb/api/`);
    const form = new FormData();
    form.append('group', 'CBC');
    form.append('pipeline', 'gstlal');
    form.append('eventFile', new Blob([jsonEvent(1400000000)]), 'event.json');
    const event = await json(await fetch(`${t.root}events/`, { method: 'POST', body: form, headers: AS_OPERATOR }));
    assert.equal((event.links as Record<string, string>).self, `${PUBLIC}/gracedb/api/events/${event.graceid}`);
    const files = await json(await fetch(`${t.root}events/${event.graceid}/files/`));
    assert.equal(files['event.json'], `${PUBLIC}/gracedb/api/events/${event.graceid}/files/event.json`);
  });

  test('with GRACEDB_URL set, the console serves no GraceDB of its own and says which one it uses', async () => {
    const other = 'http://127.0.0.1:9/api/';
    const remote = withApiClient(await startInProcess({ listen: true, env: { ...API_ACCESS, GRACEDB_URL: other } }));
    try {
      const api = await fetch(remote.root);
      assert.equal(api.status, 404);
      assert.ok(String((await json(api)).detail).includes(other));
      const list = await fetch(`${remote.web.url}/gracedb/superevents/`);
      assert.equal(list.status, 404);
      assert.ok((await list.text()).includes(other));
      // Typed or chosen IDs link to that GraceDB's pages (its web root: the API path taken off).
      assert.ok((await (await fetch(`${remote.web.url}/`)).text()).includes('data-gracedb="http://127.0.0.1:9/"'));
    } finally {
      await remote.stop();
    }
  });

  test('under GWQUEUE_URL_PREFIX, the API and its links are under the prefix', async () => {
    const prefixed = withApiClient(await startInProcess({ listen: true, env: { ...API_ACCESS, GWQUEUE_URL_PREFIX: '/gwcelery' } }));
    try {
      const root = `${prefixed.web.url}/gwcelery/gracedb/api/`;
      const doc = await json(await fetch(root));
      assert.equal((doc.links as Record<string, string>).superevents, `${root}superevents/`);
      assert.equal((await fetch(`${prefixed.web.url}/gracedb/api/`)).status, 404, 'nothing outside the prefix');
    } finally {
      await prefixed.stop();
    }
  });

  test("the store that tasks and forms use links to the console's own address; an alert's urls.gracedb is the operator page", async () => {
    for (const [env, base] of [
      [{ GWQUEUE_PUBLIC_URL: PUBLIC }, PUBLIC],
      [{ GWQUEUE_WEB_HOST: '127.0.0.1', PORT: '5123', GWQUEUE_URL_PREFIX: '/gwcelery' }, 'http://127.0.0.1:5123/gwcelery'],
    ] as const) {
      const config = testConfig(server.url, env);
      const { gracedb } = createConsoleGraceDb(config, redis);
      const event = await gracedb.createEvent({
        group: 'CBC',
        pipeline: 'gstlal',
        filename: 'event.json',
        filecontents: jsonEvent(1400000000),
      });
      assert.equal(event.links.self, `${base}/gracedb/api/events/${event.graceid}`);
      const superevent = await gracedb.createSuperevent({
        t_start: 1399999999,
        t_0: 1400000000,
        t_end: 1400000001,
        preferred_event: event.graceid,
      });
      assert.equal(supereventPage(superevent), `${base}/gracedb/superevents/${superevent.superevent_id}/view/`);
    }
  });
});
