// `gwqueue chain` through the real CLI (dist/, run `npm run build` first) against an in-process worker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, freePort, type TestRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/cli.js';
import { listAlerts } from '../../src/alerts/outbox.js';
import { comments, startDomainEngine, type DomainEngine } from './domain-engine.js';

describe('gwqueue chain', () => {
  let redis: TestRedis;
  let domain: DomainEngine;
  let env: Record<string, string>;

  before(async () => {
    redis = await startRedis();
    domain = await startDomainEngine(redis.url);
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: domain.config.prefix, GWQUEUE_ENV: 'test' };
  });
  after(async () => {
    await domain?.stop();
    await redis?.stop();
  });

  async function jobCount(): Promise<number> {
    const counts = await domain.engine.client.queue('default').getJobCounts();
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  }

  test('send_mock_event then send_preliminary_gcn: task results as JSON, the changes visible in GraceDB and the outbox', async () => {
    const mock = await runCli(['chain', 'send_mock_event', '--wait', '20', '--user', 'erin'], env, { timeoutMs: 30_000 });
    assert.equal(mock.code, 0, mock.stderr);
    assert.match(mock.stderr, /Queued a mock event\./);
    const { graceid, superevent_id: sid } = JSON.parse(mock.stdout) as { graceid: string; superevent_id: string };
    assert.match(sid, /^MS\d{6}[a-z]+$/);
    const { gracedb, redis: connection } = domain.services;
    assert.ok(comments(await gracedb.getLogs(sid)).includes('User erin queued a mock event through the dashboard.'));

    const prelim = await runCli(['chain', 'send_preliminary_gcn', `superevent_id=${sid}`, `event_id=${graceid}`, '--wait', '20', '--user', 'erin'], env, { timeoutMs: 30_000 });
    assert.equal(prelim.code, 0, prelim.stderr);
    assert.match(prelim.stderr, new RegExp(`Queued preliminary alert for ${sid}\\.`));
    const outcome = JSON.parse(prelim.stdout) as { sent: boolean; outbox_id: string };
    assert.equal(outcome.sent, true);
    const [entry] = await listAlerts(connection, domain.config, { count: 1 });
    assert.deepEqual([entry.id, entry.superevent_id, entry.alert_type], [outcome.outbox_id, sid, 'PRELIMINARY']);
    assert.ok((await gracedb.getSuperevent(sid)).labels.includes('GCN_PRELIM_SENT'));
    assert.ok(comments(await gracedb.getLogs(sid)).includes('User erin queued a Preliminary alert through the dashboard.'));

    const queued = await runCli(['chain', 'create_update_gcn_circular', `superevent_id=${sid}`, 'em_bright'], env);
    assert.equal(queued.code, 0, queued.stderr);
    assert.match(queued.stdout.trim(), /^[0-9a-f-]{36}$/, 'without --wait: the task ID');
  });

  test('bad input: one line on stderr, exit 64, nothing enqueued (and Redis is not even needed to say so)', async () => {
    const before = await jobCount();
    const bad = await runCli(['chain', 'send_preliminary_gcn', 'superevent_id=S24', 'event_id=G1'], env);
    assert.equal(bad.code, 64);
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /superevent_id must look like S240101a/);
    const missing = await runCli(['chain', 'send_update_gcn', 'superevent_id=MS240101a', 'skymap_filename=bayestar.multiorder.fits'], env);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /em_bright_filename/);
    const unknown = await runCli(['chain', 'launch_rocket'], env);
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /unknown form; use one of send_preliminary_gcn/);
    assert.equal(await jobCount(), before);
    const deadRedis = await runCli(['chain', 'apply_raven_labels', 'superevent_id=S240101a', 'ext_id=nope', 'event_id=G1'], { ...env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    assert.equal(deadRedis.code, 64, 'validation comes before connecting (69 would mean it tried Redis)');
    assert.match(deadRedis.stderr, /ext_id must look like G123456/);
  });
});
