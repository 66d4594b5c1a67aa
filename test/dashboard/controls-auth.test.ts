// Authorization of every dashboard control: viewers see no controls and get 403 (audited, nothing changed); API tokens act without a confirmation page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, browser, API_TOKEN, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { raiseError, sleep } from '../../src/tasks/core.js';
import { listAudit } from '../../src/audit/audit-log.js';
import { sendHeartbeat, hostSnapshot } from '../../src/queue/heartbeats.js';

describe('dashboard controls: authorization', () => {
  let fx: InProcess;
  let failedId: string;
  let delayedId: string;

  before(async () => {
    fx = await startInProcess({ app: true, env: { ...CONSOLE_ACCESS, GWQUEUE_ADMIN_USERS: 'ada.lovelace' } });
    const worker = await fx.engine.startWorker({ name: 'auth@test' });
    const failed = await raiseError.delay('for the retry control');
    failedId = failed.id;
    await failed.get({ timeout: 10 }).catch(() => null);
    delayedId = (await sleep.applyAsync({ args: [1], countdown: 600 })).id;
    await worker.stop();
    // A worker record that is offline (its alive key is gone), for the forget control.
    await sendHeartbeat(fx.engine.client.redis, fx.engine.config, {
      name: 'ghost@test',
      queues: ['celery'],
      concurrency: 1,
      status: 'online',
      startedAt: new Date().toISOString(),
      lastHeartbeat: new Date().toISOString(),
      version: '0',
      active: 0,
      processed: 0,
      succeeded: 0,
      failed: 0,
      retried: 0,
      ...hostSnapshot(),
    });
    await fx.engine.client.redis.del(`{${fx.engine.config.prefix}}:worker:ghost@test:alive`);
  });
  after(async () => {
    await fx?.stop();
  });

  const controls = () => [
    { path: `/flower/tasks/${failedId}/retry`, body: {}, action: 'task.retry' },
    { path: `/flower/tasks/${delayedId}/cancel`, body: { confirmed: 'yes' }, action: 'task.cancel' },
    { path: '/flower/queues/celery/pause', body: { confirmed: 'yes' }, action: 'queue.pause' },
    { path: '/flower/queues/celery/resume', body: {}, action: 'queue.resume' },
    { path: '/flower/queues/celery/clean', body: { state: 'failed', age: '0', confirmed: 'yes' }, action: 'queue.clean' },
    { path: '/flower/queues/clean', body: { queue: 'celery', state: 'failed', age: '0', confirmed: 'yes' }, action: 'queue.clean' },
    { path: '/flower/workers/ghost%40test/forget', body: { confirmed: 'yes' }, action: 'worker.forget' },
  ];

  const state = async () => ({
    failed: (await fx.engine.client.findJob(failedId))?.id,
    delayed: (await fx.engine.client.findJob(delayedId))?.id,
    paused: await fx.engine.client.queue('celery').isPaused(),
    ghost: await fx.engine.client.redis.zscore(`{${fx.engine.config.prefix}}:workers`, 'ghost@test'),
    jobs: await fx.jobCount(),
  });

  for (const who of ['marie.curie (a viewer)', 'anonymous']) {
    test(`${who}: every control answers 403, is audited as unauthorized, and changes nothing`, async () => {
      const user = who === 'anonymous' ? null : 'marie.curie';
      const { agent, headers, tokens } = await browser(fx.app, user);
      const { csrf } = await tokens('send_mock_event');
      // A viewer's page carries no CSRF token (it makes no session): their POSTs go on to authorization, which refuses.
      assert.equal(csrf.length, 0, 'no CSRF token for a viewer');
      const before = await state();
      for (const control of controls()) {
        const res = await agent
          .post(control.path)
          .set(headers)
          .type('form')
          .send({ _csrf: csrf, ...control.body });
        assert.equal(res.status, 403, `${control.path}: ${res.status}`);
        assert.match(res.text, /not allowed/);
      }
      assert.deepEqual(await state(), before);
      const audit = (await listAudit(fx.engine.client.redis, fx.engine.config, { user: user ?? 'anonymous' })).entries;
      for (const control of controls())
        assert.ok(
          audit.some((e) => e.action === control.action && e.outcome === 'unauthorized'),
          control.action,
        );
    });
  }

  test('viewers see the same pages with the controls hidden; authorized users see them', async () => {
    for (const path of ['/flower/', '/flower/tasks', '/flower/tasks?state=failed', '/flower/tasks?state=delayed', '/flower/queues']) {
      const viewer = await request(fx.app).get(path).set('X-Proxy-Remote-User', 'marie.curie').expect(200);
      assert.doesNotMatch(viewer.text, /<form method="post"/, path);
    }
    const failed = await request(fx.app).get('/flower/tasks?state=failed').set('X-Proxy-Remote-User', 'albert.einstein').expect(200);
    assert.match(failed.text, /action="\/flower\/tasks\/[^"]+\/retry"/);
    const delayed = await request(fx.app).get('/flower/tasks?state=delayed').set('X-Proxy-Remote-User', 'albert.einstein').expect(200);
    assert.match(delayed.text, /action="\/flower\/tasks\/[^"]+\/cancel" class="d-inline flower-control" data-flower-confirm=/);
    const queues = await request(fx.app).get('/flower/queues').set('X-Proxy-Remote-User', 'albert.einstein').expect(200);
    assert.match(queues.text, /action="\/flower\/queues\/celery\/pause"/);
    assert.doesNotMatch(queues.text, /id="clean-form"/, 'cleaning is for admins');
    const adminQueues = await request(fx.app).get('/flower/queues').set('X-Proxy-Remote-User', 'ada.lovelace').expect(200);
    assert.match(adminQueues.text, /id="clean-form"/);
    const workers = await request(fx.app).get('/flower/').set('X-Proxy-Remote-User', 'albert.einstein').expect(200);
    assert.match(workers.text, /action="\/flower\/workers\/ghost%40test\/forget"/);
  });

  test('a script with an API token uses the controls as JSON, without a confirmation page; GET is 405', async () => {
    const api = (path: string, body: Record<string, string> = {}) =>
      request(fx.app).post(path).set('Authorization', `Bearer ${API_TOKEN}`).set('Accept', 'application/json').type('form').send(body);
    const paused = await api('/flower/queues/celery/pause').expect(200);
    assert.equal(paused.body.ok, true);
    assert.match(paused.body.message, /^Paused queue celery: /);
    assert.equal(paused.body.paused, true);
    assert.equal(await fx.engine.client.queue('celery').isPaused(), true);
    await api('/flower/queues/celery/resume').expect(200);
    const cancelled = await api(`/flower/tasks/${delayedId}/cancel`).expect(200);
    assert.match(cancelled.body.message, /Cancelled task/);
    await eventually(async () => !(await fx.engine.client.findJob(delayedId)), 3000, 'the task to be gone');
    await api(`/flower/tasks/${delayedId}/cancel`).expect(404);
    const retried = await api(`/flower/tasks/${failedId}/retry`).expect(202);
    assert.match(retried.body.url, /^\/tasks\/[0-9a-f-]{36}$/);
    const entries = (await listAudit(fx.engine.client.redis, fx.engine.config, { user: 'robot' })).entries.map(
      (e) => `${e.action}:${e.outcome}`,
    );
    assert.deepEqual(
      entries.sort(),
      ['queue.pause:accepted', 'queue.resume:accepted', 'task.cancel:accepted', 'task.cancel:rejected', 'task.retry:accepted'].sort(),
    );
    await request(fx.app).get('/flower/queues/celery/pause').expect(405);
    // Without a CSRF token a browser's POST is refused before anything else.
    await request(fx.app)
      .post('/flower/queues/celery/pause')
      .set('X-Proxy-Remote-User', 'albert.einstein')
      .type('form')
      .send({ confirmed: 'yes' })
      .expect(403);
    assert.equal(await fx.engine.client.queue('celery').isPaused(), false);
  });
});
