// createGraceDb: a URL selects the REST client (with its credentials and retries), no URL the embedded store.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createGraceDb, EmbeddedGraceDb, GraceDbRestClient, GraceDbTransientError, type EventRecord } from '../../src/gracedb/index.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { FakeGraceDb } from './fake-gracedb.js';
import { jsonEvent } from './sample-files.js';

describe('createGraceDb', () => {
  let server: TestRedis;
  let redis: Redis;
  let fake: FakeGraceDb;

  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    fake = await FakeGraceDb.start();
  });
  after(async () => {
    await fake.stop();
    await redis.quit();
    await server.stop();
  });

  it('returns the REST client when a URL is given, passing token and retry settings', async () => {
    fake.reset();
    fake.on('GET', 'superevents/S190425z/', { status: 503 });
    const gracedb = createGraceDb({ url: fake.apiUrl, token: 'abc', redis, prefix: '{unused}', retry: { attempts: 2, initialDelayMs: 1 } });
    assert.ok(gracedb instanceof GraceDbRestClient);
    await assert.rejects(gracedb.getSuperevent('S190425z'), GraceDbTransientError);
    assert.equal(fake.requests.length, 2);
    assert.equal(fake.requests[0].headers.authorization, 'Bearer abc');
    assert.deepEqual(await redis.keys('{unused}*'), []);
  });

  it('returns the embedded store under the prefix otherwise, with onEventCreated wired', async () => {
    const created: EventRecord[] = [];
    const gracedb = createGraceDb({
      redis,
      prefix: '{factory}',
      onEventCreated: (event) => void created.push(event),
      embedded: { submitter: 'tester' },
    });
    assert.ok(gracedb instanceof EmbeddedGraceDb);
    const event = await gracedb.createEvent({
      group: 'CBC',
      pipeline: 'gstlal',
      search: 'MDC',
      filename: 'e.json',
      filecontents: jsonEvent(1300000000),
    });
    assert.equal(event.submitter, 'tester');
    assert.deepEqual(
      created.map((record) => record.graceid),
      [event.graceid],
    );
    assert.ok((await redis.keys('{factory}:gracedb:*')).length > 0);
  });
});
