// What anonymous requests may write to Redis: a flood of anonymous POSTs (refused, audited) adds at most the per-minute audit budget, per address and in all, never an entry each; identified users are always audited.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, type InProcess } from '../helpers/in-process.js';
import { ANONYMOUS_AUDIT_PER_MINUTE, listAudit } from '../../src/audit/audit-log.js';
import { auditKey } from '../../src/redis/keys.js';

describe('anonymous requests cannot fill the audit log', () => {
  let fx: InProcess;
  before(async () => {
    fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
  });
  after(async () => {
    await fx?.stop();
  });

  test('1,200 anonymous POSTs from 12 addresses: 403 each, the audit stream grows by at most the budget', async () => {
    const redis = fx.engine.client.redis;
    const length = () => redis.xlen(auditKey(fx.engine.config));
    // The flood may straddle the turn of a minute, which renews the budget once: at most two minutes' worth.
    const minutes = 2;
    const keysBefore = new Set(await redis.keys('*'));
    const before = await length();
    const paths = ['/send_mock_event', '/send_preliminary_gcn', '/flower/queues/celery/pause'];
    for (let address = 0; address < 12; address++) {
      const from = `198.51.100.${address + 10}`;
      for (let i = 0; i < 100; i += 20) {
        const batch = Array.from({ length: 20 }, (_, j) =>
          request(fx.app)
            .post(paths[(i + j) % paths.length])
            // The fixture trusts 127.0.0.1 as its proxy: the client is the address it forwards.
            .set({ 'X-Forwarded-For': from, Accept: 'application/json' })
            .type('form')
            .send({ superevent_id: `S2401${String(i + j).padStart(2, '0')}a`, confirmed: 'yes' }),
        );
        for (const res of await Promise.all(batch)) assert.equal(res.status, 403, res.text);
      }
    }
    const entriesAdded = (await length()) - before;
    assert.ok(entriesAdded <= minutes * ANONYMOUS_AUDIT_PER_MINUTE.process, `1,200 refusals added ${entriesAdded} audit entries`);
    assert.ok(entriesAdded >= ANONYMOUS_AUDIT_PER_MINUTE.address, `the first refusals are recorded (${entriesAdded})`);
    const { entries } = await listAudit(redis, fx.engine.config, { user: 'anonymous', limit: 500 });
    const perAddress = new Map<string, number>();
    for (const entry of entries) perAddress.set(entry.address, (perAddress.get(entry.address) ?? 0) + 1);
    assert.ok(
      [...perAddress.values()].every((n) => n <= minutes * ANONYMOUS_AUDIT_PER_MINUTE.address),
      JSON.stringify([...perAddress]),
    );
    // No session and no key per request: at most the audit stream itself, made by the first entry.
    const added = (await redis.keys('*')).filter((key) => !keysBefore.has(key));
    assert.ok(
      added.every((key) => key === auditKey(fx.engine.config)),
      added.join(', '),
    );
    // An identified user's refusal is still recorded, budget or not.
    await request(fx.app)
      .post('/send_mock_event')
      .set({ 'X-Proxy-Remote-User': 'marie.curie', Accept: 'application/json' })
      .type('form')
      .send({ confirmed: 'yes' })
      .expect(403);
    const marie = await listAudit(redis, fx.engine.config, { user: 'marie.curie' });
    assert.equal(marie.entries.length, 1);
    assert.equal(marie.entries[0].outcome, 'unauthorized');
  });
});
