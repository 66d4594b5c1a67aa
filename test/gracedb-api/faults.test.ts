// GraceDB API writes while Redis is refused or hung: a bounded 503 that tells the truth, and the same request sent again writes once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { coincXml } from '../gracedb/sample-files.js';
import { bullPrefix } from '../../src/redis/keys.js';
import { AS_OPERATOR, eventForm, json, type ApiFixture, API_ACCESS, withApiClient } from './api-client.js';
import { startInProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';

const COINC = coincXml({ endTime: 1000000001, endTimeNs: 0, far: 1e-9 });
/** REDIS_COMMAND_TIMEOUT_MS below, and what an answer may take on top of it on a loaded machine. */
const COMMAND_TIMEOUT_MS = 500;
const BOUND_MS = 4 * COMMAND_TIMEOUT_MS + 2000;

describe('GraceDB API under Redis faults', () => {
  let t: ApiFixture;
  let root: string;
  const timed = async (what: string, request: () => Promise<Response>) => {
    const started = Date.now();
    const response = await request();
    const body = await json(response);
    const ms = Date.now() - started;
    assert.ok(ms < BOUND_MS, `${what} answered in ${ms} ms`);
    return { status: response.status, body, retryAfter: response.headers.get('retry-after') };
  };
  const create = (key: string) =>
    fetch(`${root}events/`, {
      method: 'POST',
      body: eventForm({ group: 'Test', pipeline: 'gstlal' }, { name: 'coinc.xml', contents: COINC }),
      headers: { ...AS_OPERATOR, 'idempotency-key': key },
    });
  /** Events in the store, counted straight from Redis's sorted set of events. */
  const eventCount = async () => t.client.zcard(`${bullPrefix(t.config)}:gracedb:events`);

  before(async () => {
    // AOF: the restart keeps what was written before the kill, as a production Redis does.
    t = withApiClient(
      await startInProcess({
        listen: true,
        env: { ...API_ACCESS, REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) },
        redis: { appendOnly: true },
      }),
    );
    root = t.root;
  });
  after(() => t?.stop());

  test('Redis refused (killed): reads and writes answer 503 with a detail at once; after the restart the same key makes one event', async () => {
    assert.equal((await create('refused-key-000000001')).status, 201);
    const before = await eventCount();
    await t.redis.kill();
    const write = await timed('a write', () => create('refused-key-000000002'));
    assert.equal(write.status, 503);
    assert.equal(write.retryAfter, '5');
    assert.match(String(write.body.detail), /Nothing was written|not known whether this was written/);
    const read = await timed('a read', () => fetch(`${root}events/?query=Test`));
    assert.equal(read.status, 503);
    assert.match(String(read.body.detail), /unavailable/);
    await t.redis.restart();
    // The console reconnects by itself; until then it keeps answering 503.
    const again = await eventually(
      async () => {
        const response = await create('refused-key-000000002');
        if (response.status !== 503) return response;
        await response.text();
        return undefined;
      },
      15_000,
      'an answer other than 503 after the restart',
      200,
    );
    assert.equal(again.status, 201, await again.clone().text());
    await again.text();
    const replay = await create('refused-key-000000002');
    assert.equal(replay.status, 201);
    await replay.text();
    assert.equal(await eventCount(), before + 1);
  });

  test('Redis hung (SIGSTOP): a write answers 503 within the bound; after SIGCONT the same key makes the event once', async () => {
    const before = await eventCount();
    t.redis.freeze();
    let thawed = false;
    try {
      const write = await timed('a write', () => create('hung-key-0000000000001'));
      assert.equal(write.status, 503);
      assert.ok(typeof write.body.detail === 'string');
      const read = await timed('a read', () => fetch(`${root}superevents/`));
      assert.equal(read.status, 503);
    } finally {
      t.redis.thaw();
      thawed = true;
    }
    assert.ok(thawed);
    const graceids = new Set<string>();
    for (let i = 0; i < 3; i += 1) {
      // A claim the hung request left pending is taken over after its grace: the answer may take a moment.
      const response = await create('hung-key-0000000000001');
      assert.equal(response.status, 201, await response.clone().text());
      graceids.add(String((await json(response)).graceid));
    }
    assert.equal(graceids.size, 1);
    assert.equal(await eventCount(), before + 1);
  });
});
