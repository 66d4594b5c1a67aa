// The Tasks section over HTTP with a real worker: a failure shows under "failed" with its error and is retried into success; search, pagination, sorting, the JSON API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { z } from 'zod';
import { startInProcess, CONSOLE_ACCESS, browser, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { defineTask } from '../../src/queue/registry.js';
import { add, sleep } from '../../src/tasks/core.js';
import { listAudit } from '../../src/audit/audit-log.js';
import { listTasks } from '../../src/task-index/task-list.js';
import { summarizeJob, TaskIndex } from '../../src/task-index/task-index.js';
import { taskQueryFrom } from '../../src/task-index/task-query.js';
import { redactorFor } from '../../src/log/redact.js';

// Fails while `broken` is set, like a GraceDB that is down; the retry after the fix succeeds.
let broken = true;
const upload = defineTask({
  name: 'gwqueue.tests.dashboard.gracedb_upload',
  description: 'Fails while the test says GraceDB is down.',
  params: { superevent: z.string(), filename: z.string() },
  retry: { attempts: 1 },
  async run({ superevent, filename }) {
    if (broken) throw new Error(`GraceDB is down: cannot upload ${filename} to ${superevent}`);
    return { uploaded: filename, superevent };
  },
});

const USER = { 'X-Proxy-Remote-User': 'albert.einstein' };

describe('dashboard tasks', () => {
  let fx: InProcess;
  let failedId: string;

  before(async () => {
    fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
    await fx.engine.startWorker({ name: 'tasks@test' });
    // 40 additions, then one failing upload: 41 tasks, newest first.
    for (let i = 0; i < 40; i++) await (await add.delay(i, 1000)).get({ timeout: 10 });
    const handle = await upload.delay('S240101a', 'bayestar.fits');
    failedId = handle.id;
    await handle.get({ timeout: 10 }).catch(() => null);
    await eventually(
      async () => (await request(fx.app).get('/flower/api/tasks?state=failed')).body.total === 1,
      5000,
      'the failure to be indexed',
    );
  });
  after(async () => {
    await fx?.stop();
  });

  test('a failed task is listed under "failed" with its error, and links to its task page', async () => {
    const page = await request(fx.app).get('/flower/tasks?state=failed').set(USER).expect(200);
    const row = page.text.slice(page.text.indexOf(`data-task-id="${failedId}"`));
    assert.match(row.slice(0, 3000), /GraceDB is down: cannot upload bayestar\.fits to S240101a/);
    assert.match(row.slice(0, 3000), new RegExp(`href="/tasks/${failedId}"`));
    assert.match(row.slice(0, 3000), new RegExp(`action="/flower/tasks/${failedId}/retry"`));
    assert.match(page.text, /Failed <span class="badge rounded-pill text-bg-danger">1<\/span>/);
    const api = await request(fx.app).get(`/flower/api/tasks/${failedId}`).expect(200);
    assert.equal(api.body.state, 'failed');
    assert.match(api.body.error.message, /GraceDB is down/);
    assert.deepEqual(api.body.args, ['S240101a', 'bayestar.fits']);
  });

  test('retrying it with the same arguments succeeds once the cause is fixed, and is audited', async () => {
    broken = false;
    const { agent } = await browser(fx.app);
    const page = await agent.get('/flower/tasks?state=failed').set(USER).expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const res = await agent
      .post(`/flower/tasks/${failedId}/retry`)
      .set(USER)
      .type('form')
      .send({ _csrf: csrf, back: '/flower/tasks?state=failed' })
      .expect(303);
    const newId = /^\/tasks\/([0-9a-f-]{36})$/.exec(res.headers.location)?.[1];
    assert.ok(newId, res.headers.location);
    const done = await eventually(
      async () => {
        const task = (await request(fx.app).get(`/flower/api/tasks/${newId}`)).body;
        return task.state === 'completed' ? task : null;
      },
      10_000,
      'the retry to complete',
    );
    assert.deepEqual(done.args, ['S240101a', 'bayestar.fits']);
    assert.deepEqual(done.result, { uploaded: 'bayestar.fits', superevent: 'S240101a' });
    await eventually(
      async () => (await request(fx.app).get(`/flower/api/tasks?state=completed&q=id:${newId}`)).body.total === 1,
      5000,
      'the success to be indexed',
    );
    const audit = await listAudit(fx.engine.client.redis, fx.engine.config, { action: 'task.retry' });
    assert.equal(audit.entries[0].outcome, 'accepted');
    assert.equal(audit.entries[0].taskId, newId);
    assert.equal(audit.entries[0].fields.via, 'dashboard');
  });

  test('search by task name, state and argument text', async () => {
    const api = (q: string) =>
      request(fx.app)
        .get('/flower/api/tasks')
        .query({ q })
        .expect(200)
        .then((res) => res.body);
    const byAll = await api('name:gracedb_upload state:failed S240101a');
    assert.deepEqual(
      byAll.tasks.map((t: { id: string }) => t.id),
      [failedId],
    );
    assert.equal((await api('name:gracedb_upload')).total, 2);
    assert.equal((await api('state:completed name:core.add')).total, 40);
    const byArgument = await api('args:[17,1000]');
    assert.equal(byArgument.total, 1);
    assert.equal(byArgument.tasks[0].result, '1017');
    // Free text also matches task IDs, and a random UUID may contain "1017": those are the only other matches allowed.
    const byResult = (await api('1017')).tasks as { id: string; result: string }[];
    assert.deepEqual(
      byResult.filter((t) => !t.id.includes('1017')).map((t) => t.result),
      ['1017'],
      'free text matches results too',
    );
    assert.equal((await api('worker:tasks@test bayestar')).total, 2);
    assert.equal((await api('name:nothing')).total, 0);
    const page = await request(fx.app).get('/flower/tasks').query({ q: 'name:gracedb_upload state:failed' }).expect(200);
    assert.match(page.text, /1–1 of 1 tasks/);
  });

  test('pagination and sorting happen on the server', async () => {
    const first = (await request(fx.app).get('/flower/api/tasks?limit=10').expect(200)).body;
    assert.equal(first.total, 42);
    assert.equal(first.pages, 5);
    assert.equal(first.tasks.length, 10);
    const last = (await request(fx.app).get('/flower/api/tasks?limit=10&page=5').expect(200)).body;
    assert.equal(last.tasks.length, 2);
    const all = [...first.tasks];
    for (let page = 2; page <= 5; page++) all.push(...(await request(fx.app).get(`/flower/api/tasks?limit=10&page=${page}`)).body.tasks);
    assert.equal(new Set(all.map((t) => t.id)).size, 42, 'no task twice, none missing');
    const times = all.map((t) => t.submittedAt);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );
    const oldest = (await request(fx.app).get('/flower/api/tasks?sort=time&limit=1')).body.tasks[0];
    assert.deepEqual(JSON.parse(oldest.args), [0, 1000]);
    const byName = (await request(fx.app).get('/flower/api/tasks?sort=name&limit=50')).body.tasks.map((t: { name: string }) => t.name);
    assert.deepEqual(byName, [...byName].sort());
    assert.equal(byName[0], 'gwqueue.tasks.core.add');
    const slowest = (await request(fx.app).get('/flower/api/tasks?sort=-runtime&limit=42')).body.tasks;
    const runtimes = slowest.map((t: { runtimeMs: number }) => t.runtimeMs);
    assert.deepEqual(
      runtimes,
      [...runtimes].sort((a, b) => b - a),
    );
    const html = await request(fx.app).get('/flower/tasks?limit=10&page=2').expect(200);
    assert.match(html.text, /11–20 of 42 tasks/);
    assert.match(html.text, /href="\/flower\/tasks\?page=3&amp;limit=10" rel="next"/);
    assert.match(html.text, /href="\/flower\/tasks\?limit=10&amp;sort=name"/, 'column headers sort');
  });

  test('waiting, delayed and active tasks come live from BullMQ, and a time range narrows the list', async () => {
    const delayed = await sleep.applyAsync({ args: [1], countdown: 600 });
    const running = await sleep.delay(1.5);
    await eventually(async () => (await running.info()).state === 'active', 5000, 'the sleep to start');
    const delayedTab = (await request(fx.app).get('/flower/api/tasks?state=delayed')).body;
    assert.deepEqual(
      delayedTab.tasks.map((t: { id: string }) => t.id),
      [delayed.id],
    );
    const activeTab = (await request(fx.app).get('/flower/api/tasks?state=active')).body;
    assert.deepEqual(
      activeTab.tasks.map((t: { id: string }) => t.id),
      [running.id],
    );
    const everything = (await request(fx.app).get('/flower/api/tasks?limit=3')).body;
    assert.equal(everything.total, 44, 'the running task is counted once');
    assert.deepEqual(
      everything.tasks.slice(0, 2).map((t: { id: string; state: string }) => [t.id, t.state]),
      [
        [running.id, 'active'],
        [delayed.id, 'delayed'],
      ],
    );
    const recent = (
      await request(fx.app)
        .get('/flower/api/tasks')
        .query({ from: String(Date.now() - 60_000), q: 'name:sleep' })
    ).body;
    assert.equal(recent.total, 2);
    const future = (
      await request(fx.app)
        .get('/flower/api/tasks')
        .query({ from: new Date(Date.now() + 3_600_000).toISOString() })
    ).body;
    assert.equal(future.total, 0);
    await running.get({ timeout: 10 });
  });

  test('a live task whose index row appears while the list is read is counted once', async () => {
    // The indexer writes a running task's row at any moment; land that write at every point of a list read.
    const index = new TaskIndex(fx.engine.client.redis, fx.engine.client.config);
    const before = (await request(fx.app).get('/flower/api/tasks?limit=1')).body.total;
    const wrong: string[] = [];
    for (let round = 1; round <= 60; round++) {
      const job = await sleep.applyAsync({ args: [1], countdown: 600 });
      const found = await fx.engine.client.findJob(job.id);
      assert.ok(found, 'the delayed job is in BullMQ');
      const row = { task: summarizeJob(found, 'active', redactorFor(fx.engine.config)), version: Date.now() };
      const [page] = await Promise.all([
        listTasks(fx.engine.client, index, taskQueryFrom({ limit: '3' }, Date.now())),
        new Promise<void>((resolve) => setTimeout(() => void index.write([row]).then(() => resolve()), round % 6)),
      ]);
      if (page.total !== before + round) wrong.push(`round ${round}: ${page.total} instead of ${before + round}`);
    }
    assert.deepEqual(wrong, []);
  });
});
