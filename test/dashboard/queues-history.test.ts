// Queues and History with a real worker: counts, the no-worker flag, pause / resume / clean, and history counters after a batch of tasks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, browser, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { liveWorkers } from '../../src/queue/heartbeats.js';
import { defineTask } from '../../src/queue/registry.js';
import { add, raiseError } from '../../src/tasks/core.js';
import { sampleMinute } from '../../src/history/history-counters.js';
import { listAudit } from '../../src/audit/audit-log.js';
import type { RunningWorker } from '../../src/worker/run-worker.js';

// A queue no worker consumes in this test.
const orphan = defineTask({
  name: 'gwqueue.tests.dashboard.orphan',
  queue: 'dashboard-orphan',
  description: 'Never runs here.',
  params: {},
  async run() {
    return null;
  },
});

const USER = { 'X-Proxy-Remote-User': 'albert.einstein' };
type QueueRow = {
  name: string;
  waiting: number;
  failed: number;
  completed: number;
  paused: boolean;
  unserved: boolean;
  workers: string[];
  oldestWaitingMs: number | null;
};

describe('dashboard queues and history', () => {
  let fx: InProcess;
  let worker: RunningWorker;
  const queues = async () => (await request(fx.app).get('/flower/api/queues').expect(200)).body as QueueRow[];
  const queue = async (name: string) => (await queues()).find((q) => q.name === name)!;

  before(async () => {
    // albert.einstein (USER) is an admin here: cleaning a queue is for admins (test/reliability/security-trust.test.ts).
    fx = await startInProcess({ app: true, env: { ...CONSOLE_ACCESS, GWQUEUE_ADMIN_USERS: 'albert.einstein' } });
    worker = await fx.engine.startWorker({ name: 'queues@test', queues: ['celery'] });
    // A batch: 10 successes, 2 tasks that fail for good after one retry each.
    const handles = [
      ...(await Promise.all(Array.from({ length: 10 }, (_, i) => add.delay(i, i)))),
      await raiseError.delay('flaky GraceDB', true),
      await raiseError.delay('flaky GraceDB', true),
    ];
    await Promise.all(handles.map((h) => h.get({ timeout: 10 }).catch(() => null)));
    for (let i = 0; i < 3; i++) await orphan.delay();
  });
  after(async () => {
    await fx?.stop();
  });

  test('each queue with its counts, oldest waiting task and live workers; a queue with none is flagged', async () => {
    const served = await queue('celery');
    assert.equal(served.completed, 10);
    assert.equal(served.failed, 2);
    assert.deepEqual(served.workers, ['queues@test']);
    assert.equal(served.unserved, false);
    const unserved = await queue('dashboard-orphan');
    assert.equal(unserved.waiting, 3);
    assert.equal(unserved.unserved, true);
    assert.deepEqual(unserved.workers, []);
    assert.ok(unserved.oldestWaitingMs !== null && unserved.oldestWaitingMs >= 0);
    const page = await request(fx.app).get('/flower/queues').set(USER).expect(200);
    assert.match(page.text, /<tr id="queue-dashboard-orphan" data-queue="dashboard-orphan" class="table-danger">/);
    assert.match(page.text, /No worker consumes dashboard-orphan/);
    const row = page.text.slice(page.text.indexOf('id="queue-celery"'), page.text.indexOf('</tr>', page.text.indexOf('id="queue-celery"')));
    assert.match(row, /1 live/);
    assert.doesNotMatch(row, /no worker/);
  });

  test('pause asks for confirmation, pauses the queue, and resume undoes it; both audited', async () => {
    const { agent, tokens } = await browser(fx.app);
    const { csrf } = await tokens('send_mock_event');
    const confirm = await agent.post('/flower/queues/celery/pause').set(USER).type('form').send({ _csrf: csrf }).expect(200);
    assert.match(confirm.text, /Please confirm: Pause queue/);
    assert.equal((await queue('celery')).paused, false);
    await agent.post('/flower/queues/celery/pause').set(USER).type('form').send({ _csrf: csrf, confirmed: 'yes' }).expect(303);
    assert.equal((await queue('celery')).paused, true);
    const page = await agent.get('/flower/queues').set(USER).expect(200);
    assert.match(page.text, /Paused queue celery/);
    assert.match(page.text, /queue-paused">paused/);
    assert.match(page.text, /action="\/flower\/queues\/celery\/resume"/);
    // A paused queue keeps its tasks waiting.
    const processed = worker.stats.processed;
    const enqueuedAt = Date.now();
    const waiting = await add.delay(1, 1);
    // The worker beats after the enqueue and has processed nothing more: the task waits.
    await eventually(
      async () => {
        const info = (await liveWorkers(fx.engine.client.redis, fx.engine.config)).find((w) => w.name === 'queues@test')?.info;
        return info && Date.parse(info.lastHeartbeat) > enqueuedAt + 200;
      },
      10_000,
      'a heartbeat of queues@test after the enqueue',
    );
    assert.equal(worker.stats.processed, processed, 'a paused queue is not consumed');
    assert.equal((await waiting.info()).state, 'waiting');
    const resumedAt = Date.now();
    await agent.post('/flower/queues/celery/resume').set(USER).type('form').send({ _csrf: csrf }).expect(303);
    assert.equal((await queue('celery')).paused, false);
    assert.equal(await waiting.get({ timeout: 10 }), 2);
    const startedAt = Date.parse((await waiting.info()).startedAt ?? '');
    assert.ok(startedAt >= resumedAt, `the task started only after the resume (${startedAt - resumedAt} ms after it)`);
    const actions = (await listAudit(fx.engine.client.redis, fx.engine.config, {})).entries.map((e) => `${e.action}:${e.outcome}`);
    assert.ok(actions.includes('queue.pause:accepted') && actions.includes('queue.resume:accepted'), actions.join());
  });

  test('removing the failed tasks of a queue deletes them from BullMQ and from the task list', async () => {
    const { agent, tokens } = await browser(fx.app);
    const { csrf } = await tokens('send_mock_event');
    await eventually(
      async () => (await request(fx.app).get('/flower/api/tasks?state=failed')).body.total === 2,
      5000,
      'the failures to be indexed',
    );
    const res = await agent
      .post('/flower/queues/clean')
      .set(USER)
      .type('form')
      .send({ _csrf: csrf, queue: 'celery', state: 'failed', age: '0', confirmed: 'yes' })
      .expect(303);
    assert.equal(res.headers.location, '/flower/queues');
    assert.equal((await queue('celery')).failed, 0);
    assert.equal((await request(fx.app).get('/flower/api/tasks?state=failed')).body.total, 0);
    await agent
      .post('/flower/queues/clean')
      .set(USER)
      .set('Accept', 'application/json')
      .type('form')
      .send({ _csrf: csrf, queue: 'celery', state: 'everything', age: '0', confirmed: 'yes' })
      .expect(422);
    const [entry] = (await listAudit(fx.engine.client.redis, fx.engine.config, { action: 'queue.clean' })).entries;
    assert.equal(entry.outcome, 'rejected');
  });

  test('history counts the batch per task and per queue, with runtimes, queue depth and workers online', async () => {
    await sampleMinute(fx.engine.client.redis, fx.engine.config);
    await worker.stop(); // writes whatever the indexer still holds
    const history = (await request(fx.app).get('/flower/api/history?range=hour').expect(200)).body;
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    // +1 for the task run while the queue was paused.
    assert.equal(sum(history.totals.received), 13);
    assert.equal(sum(history.totals.succeeded), 11);
    assert.equal(sum(history.totals.failed), 2);
    assert.equal(sum(history.totals.retried), 2);
    assert.equal(history.summary.total.received, 13);
    const failing = history.summary.tasks.find((t: { name: string }) => t.name === 'gwqueue.tasks.core.raise_error');
    assert.deepEqual([failing.received, failing.succeeded, failing.failed, failing.retried], [2, 0, 2, 2]);
    assert.equal(history.summary.queues[0].name, 'celery');
    assert.ok(history.summary.total.p50Ms !== null && history.summary.total.p95Ms >= history.summary.total.p50Ms);
    assert.ok(history.runtime.p50.some((v: number | null) => v !== null));
    assert.equal(history.workers.filter((v: number | null) => v !== null).at(-1), 1);
    assert.equal(
      history.depth
        .find((d: { name: string }) => d.name === 'dashboard-orphan')
        .values.filter((v: number | null) => v !== null)
        .at(-1),
      3,
    );
    assert.equal(history.times.length, 60);
    const page = await request(fx.app).get('/flower/history').set(USER).expect(200);
    assert.match(
      page.text,
      /<td class="font-monospace text-break">gwqueue\.tasks\.core\.raise_error<\/td><td class="text-end tabular">2<\/td>/,
    );
    for (const range of ['day', 'week', 'month']) {
      const longer = (await request(fx.app).get(`/flower/api/history?range=${range}`).expect(200)).body;
      assert.equal(Math.round(sum(longer.totals.received.map((v: number) => v * (longer.stepMs / 60_000)))), 13, range);
    }
  });
});
