// One rule per operator action whatever the entry point: the task page, the dashboard (HTML and its JSON API), `gwqueue control` and the events screen refuse, accept and audit alike.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, browser, API_TOKEN, type InProcess } from '../helpers/in-process.js';
import { runCli } from '../helpers/cli.js';
import { add, raiseError, sleep } from '../../src/tasks/core.js';
import { chain, type JobData } from '../../src/queue/canvas.js';
import { listAudit, type AuditEntry } from '../../src/audit/audit-log.js';
import { TaskIndex, summarizeJob } from '../../src/task-index/task-index.js';
import { cancelTask, retryTask } from '../../src/actions/task-actions.js';
import { runFromTerminal } from '../../src/cli/run-action.js';
import { redactorFor } from '../../src/log/redact.js';

describe('operator actions: one rule from every entry point', () => {
  let fx: InProcess;
  let env: Record<string, string>;
  let session: Awaited<ReturnType<typeof browser>>;
  let csrf: string;
  const failed: string[] = [];
  let completed: string;
  let completedChain: string;

  const api = (path: string) => request(fx.app).post(path).set('Authorization', `Bearer ${API_TOKEN}`).set('Accept', 'application/json');
  const post = (path: string) => session.agent.post(path).set(session.headers).type('form').send({ _csrf: csrf });
  const audit = async (action: string, taskField: string): Promise<AuditEntry[]> =>
    (await listAudit(fx.engine.client.redis, fx.engine.config, { action, limit: 500 })).entries
      .filter((e) => e.fields.id === taskField)
      .reverse();

  before(async () => {
    fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
    env = { REDIS_URL: fx.redis.url, GWQUEUE_PREFIX: fx.engine.config.prefix, GWQUEUE_ENV: 'test' };
    const worker = await fx.engine.startWorker({ name: 'rules@test' });
    for (let i = 0; i < 2; i++) {
      const handle = await raiseError.delay(`failure ${i}`);
      await handle.get({ timeout: 10 }).catch(() => null);
      failed.push(handle.id);
    }
    const done = await add.delay(1, 2);
    await done.get({ timeout: 10 });
    completed = done.id;
    const doneChain = await fx.engine.client.apply(chain(add.s(1, 2), add.s(3)));
    await doneChain.get({ timeout: 10 });
    completedChain = doneChain.id;
    // No worker from here on: what is queued next stays waiting, to be cancelled.
    await worker.stop();
    session = await browser(fx.app);
    csrf = /name="_csrf" value="([^"]+)"/.exec((await session.agent.get('/flower/queues').set(session.headers).expect(200)).text)![1];
  });
  after(async () => {
    await fx?.stop();
  });

  test('retry: a completed task or chain is refused everywhere with the same message and audit name; nothing is queued', async () => {
    for (const id of [completed, completedChain]) {
      const jobs = await fx.jobCount();
      const message = new RegExp(
        `Only a failed task can be retried; task ${id} \\(gwqueue\\.tasks\\.core\\.add\\) is completed\\. To do it again, submit it again\\.`,
      );
      const page = await post(`/tasks/${id}/retry`).expect(409);
      assert.match(page.text, message);
      const dashboard = await post(`/flower/tasks/${id}/retry`).expect(409);
      assert.match(dashboard.text, message);
      for (const path of [`/flower/tasks/${id}/retry`, `/tasks/${id}/retry`]) {
        const json = await api(path).expect(409);
        assert.match(json.body.error, message);
      }
      const cli = await runCli(['control', 'retry', id], env);
      assert.equal(cli.code, 1, cli.stderr);
      assert.match(cli.stderr, message);
      assert.equal(await fx.jobCount(), jobs, 'nothing was queued');
      const entries = await audit('task.retry', id);
      assert.deepEqual(
        entries.map((e) => [e.outcome, e.fields.via]),
        [
          ['rejected', 'task-page'],
          ['rejected', 'dashboard'],
          ['rejected', 'dashboard'],
          ['rejected', 'task-page'],
          ['rejected', 'cli'],
        ],
      );
    }
  });

  test('retry: a failed task is retried once; every later retry, from any entry point, is answered with that one new task', async () => {
    const id = failed[0];
    const first = await post(`/tasks/${id}/retry`).expect(303);
    const newId = /^\/tasks\/([0-9a-f-]{36})$/.exec(first.headers.location)![1];
    assert.notEqual(newId, id);
    const dashboard = await post(`/flower/tasks/${id}/retry`).expect(303);
    assert.equal(dashboard.headers.location, `/tasks/${newId}`);
    const json = await api(`/flower/tasks/${id}/retry`).expect(200);
    assert.equal(json.body.duplicate, true);
    assert.equal(json.body.id, newId);
    assert.match(json.body.message, new RegExp(`^Task ${id} was already retried as task ${newId}; nothing was run again\\.$`));
    const cli = await runCli(['control', 'retry', id, '--json'], env);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).taskId, newId);
    const entries = await audit('task.retry', id);
    assert.deepEqual(
      entries.map((e) => [e.outcome, e.fields.via, e.taskId]),
      [
        ['accepted', 'task-page', newId],
        ['duplicate', 'dashboard', newId],
        ['duplicate', 'dashboard', newId],
        ['duplicate', 'cli', newId],
      ],
    );
  });

  test('retry: two concurrent retries of one failed task (a double click, or the API and a terminal at once) make one new task', async () => {
    const id = failed[1];
    const jobs = await fx.jobCount();
    const [a, b, c] = await Promise.all([
      api(`/tasks/${id}/retry`),
      api(`/flower/tasks/${id}/retry`),
      runFromTerminal(fx.engine.client, fx.engine.config, retryTask, { id }),
    ]);
    const ids = new Set([a.body.id, b.body.id, c.taskId]);
    assert.equal(ids.size, 1, JSON.stringify([a.body, b.body, c]));
    assert.equal(await fx.jobCount(), jobs + 1, 'exactly one new task');
    assert.deepEqual((await audit('task.retry', id)).map((e) => e.outcome).sort(), ['accepted', 'duplicate', 'duplicate']);
  });

  test("cancel: a step of a chain is refused everywhere, naming the chain's last task; the last task cancels it, and leaves the task index", async () => {
    const root = (await fx.engine.client.apply(chain(sleep.s(1), sleep.si(1)))).id;
    const rootJob = (await fx.engine.client.findJob(root))!;
    const stepId = (rootJob.data as JobData).meta!.steps!.find((step) => step.id !== root)!.id;
    const message = new RegExp(`Task ${stepId} is a step of a chain; cancel the chain(?:'|&#39;)s last task ${root} instead\\.`);
    const dashboard = await session.agent
      .post(`/flower/tasks/${stepId}/cancel`)
      .set(session.headers)
      .type('form')
      .send({ _csrf: csrf, confirmed: 'yes' })
      .expect(409);
    assert.match(dashboard.text, message);
    const json = await api(`/flower/tasks/${stepId}/cancel`).expect(409);
    assert.match(json.body.error, message);
    const cli = await runCli(['control', 'cancel', stepId], env);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, message);
    const events = await runFromTerminal(fx.engine.client, fx.engine.config, cancelTask, { id: stepId }, { entry: 'events' });
    assert.equal(events.kind, 'refused');
    assert.match(events.message, message);
    assert.ok(await fx.engine.client.findJob(stepId), 'the step is still there');
    assert.deepEqual(
      (await audit('task.cancel', stepId)).map((e) => [e.outcome, e.fields.via]),
      [
        ['rejected', 'dashboard'],
        ['rejected', 'dashboard'],
        ['rejected', 'cli'],
        ['rejected', 'events'],
      ],
    );

    // A row in the task list (as a task that ran before and was queued again would have): cancelling removes it, from the CLI too.
    const index = new TaskIndex(fx.engine.client.redis, fx.engine.config);
    await index.write([{ task: summarizeJob(rootJob, 'failed', redactorFor(fx.engine.config)), version: 1 }]);
    assert.equal((await index.has([root])).size, 1);
    const cancelled = await runCli(['control', 'cancel', root], env);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(
      cancelled.stdout,
      new RegExp(`^Cancelled task ${root} \\(gwqueue\\.tasks\\.core\\.sleep\\), which was waiting-children$`, 'm'),
    );
    assert.equal(await fx.engine.client.findJob(root), undefined);
    assert.equal(await fx.engine.client.findJob(stepId), undefined, 'its steps went with it');
    assert.equal((await index.has([root])).size, 0, 'the task list no longer shows it');
    const [accepted] = (await audit('task.cancel', root)).filter((e) => e.outcome === 'accepted');
    assert.equal(accepted.fields.via, 'cli');
    assert.equal(accepted.taskId, root);
  });

  test('pause and resume are queue.pause and queue.resume from the dashboard and from the CLI', async () => {
    await post('/flower/queues/celery/pause').expect(200); // the confirmation page first
    assert.equal(await fx.engine.client.queue('celery').isPaused(), false);
    await session.agent
      .post('/flower/queues/celery/pause')
      .set(session.headers)
      .type('form')
      .send({ _csrf: csrf, confirmed: 'yes' })
      .expect(303);
    assert.equal((await runCli(['control', 'resume', 'celery'], env)).code, 0);
    assert.equal((await runCli(['control', 'pause', 'celery'], env)).code, 0);
    await api('/flower/queues/celery/resume').expect(200);
    assert.equal(await fx.engine.client.queue('celery').isPaused(), false);
    const { entries } = await listAudit(fx.engine.client.redis, fx.engine.config, { limit: 50 });
    const queueEntries = entries
      .filter((e) => e.fields.queue === 'celery')
      .reverse()
      .map((e) => [e.action, e.fields.via, e.outcome]);
    assert.deepEqual(queueEntries, [
      ['queue.pause', 'dashboard', 'accepted'],
      ['queue.resume', 'cli', 'accepted'],
      ['queue.pause', 'cli', 'accepted'],
      ['queue.resume', 'dashboard', 'accepted'],
    ]);
  });
});
