// `gwqueue chain` through the real CLI (dist/, run `npm run build` first) against an in-process worker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, type TestRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/cli.js';
import os from 'node:os';
import { listAlerts } from '../../src/alerts/outbox.js';
import { listAudit } from '../../src/audit/audit-log.js';
import { startInProcess, DOMAIN_SETTINGS, type InProcess } from '../helpers/in-process.js';
import { comments } from './gracedb-logs.js';
import { registeredQueues } from '../../src/queue/registry.js';

describe('gwqueue chain', () => {
  let redis: TestRedis;
  let domain: InProcess;
  let env: Record<string, string>;

  before(async () => {
    domain = await startInProcess({ env: DOMAIN_SETTINGS, workers: [{}], services: true });
    redis = domain.redis;
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: domain.config.prefix, GWQUEUE_ENV: 'test' };
  });
  after(async () => {
    await domain?.stop();
  });

  // A chain's steps land on several queues (celery, superevent, kafka…): count them all.
  async function jobCount(): Promise<number> {
    const all = await Promise.all(registeredQueues().map((queue) => domain.engine.client.queue(queue).getJobCounts()));
    return all.flatMap((counts) => Object.values(counts)).reduce((sum, n) => sum + n, 0);
  }

  test('send_mock_event then send_preliminary_gcn: task results as JSON, the changes visible in GraceDB and the outbox', async () => {
    const mock = await runCli(['chain', 'send_mock_event', '--wait', '20', '--user', 'erin'], env, { timeoutMs: 30_000 });
    assert.equal(mock.code, 0, mock.stderr);
    assert.match(mock.stderr, /Queued a mock event\. Follow it as task [0-9a-f-]{36}\./);
    const { graceid, superevent_id: sid } = JSON.parse(mock.stdout) as { graceid: string; superevent_id: string };
    assert.match(sid, /^MS\d{6}[a-z]+$/);
    const { gracedb, redis: connection } = domain.services;
    assert.ok(comments(await gracedb.getLogs(sid)).includes('User erin queued a mock event through the dashboard.'));

    const prelim = await runCli(
      ['chain', 'send_preliminary_gcn', `superevent_id=${sid}`, `event_id=${graceid}`, '--wait', '20', '--user', 'erin'],
      env,
      { timeoutMs: 30_000 },
    );
    assert.equal(prelim.code, 0, prelim.stderr);
    assert.match(prelim.stderr, new RegExp(`Queued preliminary alert for ${sid}\\. Follow it as task [0-9a-f-]{36}\\.`));
    const outcome = JSON.parse(prelim.stdout) as { sent: boolean; outbox_id: string };
    assert.equal(outcome.sent, true);
    const [entry] = await listAlerts(connection, domain.config, { count: 1 });
    assert.deepEqual([entry.id, entry.superevent_id, entry.alert_type], [outcome.outbox_id, sid, 'PRELIMINARY']);
    assert.ok((await gracedb.getSuperevent(sid)).labels.includes('GCN_PRELIM_SENT'));
    assert.ok(comments(await gracedb.getLogs(sid)).includes('User erin queued a Preliminary alert through the dashboard.'));

    const queued = await runCli(['chain', 'create_update_gcn_circular', `superevent_id=${sid}`, 'em_bright'], env);
    assert.equal(queued.code, 0, queued.stderr);
    assert.match(queued.stdout.trim(), /^[0-9a-f-]{36}$/, 'without --wait: the task ID');

    // Each chain is in the audit log as the console's form would be: OS user, cli@host, fields, task ID.
    const { entries } = await listAudit(connection, domain.config, {});
    const prelimEntry = entries.find((e) => e.action === 'form.send_preliminary_gcn');
    assert.ok(prelimEntry, 'the preliminary alert is audited');
    assert.deepEqual(
      [prelimEntry.user, prelimEntry.address, prelimEntry.outcome],
      [os.userInfo().username, `cli@${os.hostname()}`, 'accepted'],
    );
    assert.deepEqual(prelimEntry.fields, { superevent_id: sid, event_id: graceid, asked_by: 'erin', via: 'cli' });
    assert.equal(entries.find((e) => e.action === 'form.create_update_gcn_circular')?.taskId, queued.stdout.trim());
    assert.ok(entries.some((e) => e.action === 'form.send_mock_event'));
  });

  test('gwqueue call is audited with the task, its arguments and its ID; bad arguments write nothing', async () => {
    const { redis: connection } = domain.services;
    const call = await runCli(['call', 'gwqueue.tasks.core.add', '--args=[2, 3]', '--countdown', '60'], env);
    assert.equal(call.code, 0, call.stderr);
    const entry = (await listAudit(connection, domain.config, {})).entries.find((e) => e.taskId === call.stdout.trim());
    assert.ok(entry, 'audited');
    assert.deepEqual(
      [entry.action, entry.outcome, entry.detail, entry.user],
      ['task.call', 'accepted', 'queued gwqueue.tasks.core.add', os.userInfo().username],
    );
    assert.deepEqual(entry.fields, { task: 'gwqueue.tasks.core.add', args: [2, 3], kwargs: {}, countdown: 60, via: 'cli' });
    const before = (await listAudit(connection, domain.config, {})).entries.length;
    assert.equal((await runCli(['call', 'gwqueue.tasks.core.add', '--args=["x"]'], env)).code, 64);
    assert.equal((await listAudit(connection, domain.config, {})).entries.length, before, 'a refused call is not queued, nor audited');
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
    const deadRedis = await runCli(['chain', 'apply_raven_labels', 'superevent_id=S240101a', 'ext_id=M0003', 'event_id=G1'], {
      ...env,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    assert.equal(deadRedis.code, 64, 'validation comes before connecting (69 would mean it tried Redis)');
    assert.match(deadRedis.stderr, /ext_id must look like E123456/, 'an external event is E and digits, mock ones too');
  });
});
