// GraceDB API clients writing while Redis is SIGKILLed and restarted: every write that was answered 201 is there once, and each key retried after a 503 makes exactly one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bullPrefix } from '../../src/redis/keys.js';
import { coincXml } from '../gracedb/sample-files.js';
import { AS_OPERATOR, eventForm, type ApiFixture, API_ACCESS, withApiClient } from './api-client.js';
import { startInProcess } from '../helpers/in-process.js';
import { eventually, sleep } from '../helpers/eventually.js';

const CLIENTS = 6;
const KEYS_PER_CLIENT = 8;
const COINC = coincXml({ endTime: 1000000001, endTimeNs: 0, far: 1e-9 });

describe('GraceDB API: Redis SIGKILLed under writes', () => {
  let t: ApiFixture;
  before(async () => {
    t = withApiClient(
      await startInProcess({ listen: true, env: { ...API_ACCESS, REDIS_COMMAND_TIMEOUT_MS: '1000' }, redis: { appendOnly: true } }),
    );
  });
  after(() => t?.stop());

  test('each key makes one event, however often it is sent again through the outage', async () => {
    const statuses: number[] = [];
    const graceidOf = new Map<string, string>();
    /** Sends the key's request until it is answered 201 (every other answer must be a 503): the event's graceid. */
    const accepted = async (key: string): Promise<string> => {
      for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
        const response = await fetch(`${t.root}events/`, {
          method: 'POST',
          body: eventForm({ group: 'Test', pipeline: 'gstlal' }, { name: 'coinc.xml', contents: COINC }),
          headers: { ...AS_OPERATOR, 'idempotency-key': key },
        }).catch(() => undefined);
        const body = response ? ((await response.json().catch(() => ({}))) as { graceid?: string; detail?: string }) : {};
        statuses.push(response?.status ?? 0);
        if (response?.status === 201) return String(body.graceid);
        assert.ok(response === undefined || response.status === 503, `only 201 or 503, got ${response?.status}: ${body.detail}`);
        await sleep(100);
      }
      throw new Error(`key ${key} not accepted within 30 s`);
    };
    const send = async (key: string): Promise<void> => {
      const first = await accepted(key);
      // Sent again after its 201 (a client that lost the answer): the same event.
      assert.equal(await accepted(key), first, key);
      graceidOf.set(key, first);
    };
    const clients = Array.from({ length: CLIENTS }, async (_, client) => {
      for (let n = 0; n < KEYS_PER_CLIENT; n += 1) await send(`killed-${client}-${n}-0000000000`);
    });
    // Kill Redis once the writes are under way, restart it a second later.
    const outage = (async () => {
      await eventually(() => statuses.length >= CLIENTS * 2, 30_000, 'the writes under way', 20);
      await t.redis.kill();
      await sleep(1000);
      await t.redis.restart();
    })();
    await Promise.all([...clients, outage]);

    const keys = CLIENTS * KEYS_PER_CLIENT;
    assert.equal(graceidOf.size, keys);
    assert.equal(new Set(graceidOf.values()).size, keys, 'one event per key');
    assert.equal(await t.client.zcard(`${bullPrefix(t.config)}:gracedb:events`), keys, 'and no other event in the store');
    assert.ok(statuses.includes(503), 'the outage was seen');
  });
});
