// The operator console over real HTTP (supertest): pages, validation, CSRF, authorization, double submits, API tokens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, browser, API_TOKEN, type InProcess } from '../helpers/in-process.js';
import { listAudit } from '../../src/audit/audit-log.js';
import { OPERATOR_FORMS } from '../../src/forms/registry.js';
import { eventually } from '../helpers/eventually.js';
import { seedSuperevent } from '../helpers/superevents.js';

const TASK_URL = /^\/tasks\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** A superevent and its event in the fixture's embedded GraceDB: the preferred-event forms look both up before queuing. */
let VALID = { superevent_id: 'S240101a', event_id: 'G123456' };

describe('operator console', () => {
  let fx: InProcess;
  /** The preliminary-alert form posted by the API client "robot", with this Accept header. */
  const robotPost = (accept: string) =>
    request(fx.app).post('/send_preliminary_gcn').set('Authorization', `Bearer ${API_TOKEN}`).set('Accept', accept).type('form');
  before(async () => {
    fx = await startInProcess({ app: true, env: { ...CONSOLE_ACCESS, GWQUEUE_ADMIN_USERS: 'ada.lovelace' } });
    const seeded = await seedSuperevent(fx.gracedb);
    VALID = { superevent_id: seeded.superevent, event_id: seeded.event };
  });
  after(async () => {
    await fx?.stop();
  });

  test('GET / shows the DANGER ZONE, every form with its anchor, the platform card, under a strict CSP', async () => {
    const page = await request(fx.app).get('/').expect(200);
    assert.match(page.text, /DANGER ZONE/);
    assert.match(page.text, /Environment<\/dt><dd[^>]*><span[^>]*>test<\/span>/);
    assert.match(page.text, /embedded GraceDB/);
    for (const form of OPERATOR_FORMS) {
      assert.match(page.text, new RegExp(`id="${form.name}"`));
      assert.match(page.text, new RegExp(`action="/${form.name}"`));
    }
    assert.match(page.text, /Installed packages/);
    assert.match(page.text, /<td class="font-monospace">bullmq<\/td><td>5\.\d+\.\d+<\/td>/);
    const csp = page.headers['content-security-policy'];
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /style-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|https?:/);
    assert.doesNotMatch(page.text, /<script>|<style>|style="|onclick=/, 'no inline scripts or styles');
    assert.doesNotMatch(page.text, /https?:\/\/(?!localhost)[a-z]/i, 'nothing loaded from another origin');
  });

  test('assets are served by the app itself', async () => {
    await request(fx.app).get('/static/vendor/bootstrap/css/bootstrap.min.css').expect(200).expect('content-type', /css/);
    await request(fx.app)
      .get('/static/js/console.js')
      .expect(200)
      .expect('content-type', /javascript/);
    await request(fx.app).get('/static/nope.js').expect(404);
  });

  test('GET on every form path is 405 with Allow: POST', async () => {
    for (const form of OPERATOR_FORMS) {
      const res = await request(fx.app).get(`/${form.name}`).expect(405);
      assert.equal(res.headers.allow, 'POST');
    }
  });

  test('a valid, confirmed submission enqueues, audits, and answers 303 to the task page with a flash', async () => {
    const { agent, headers, tokens } = await browser(fx.app);
    const before = await fx.jobCount();
    const t = await tokens('send_preliminary_gcn');
    const res = await agent
      .post('/send_preliminary_gcn')
      .set(headers)
      .type('form')
      .send({ ...VALID, _csrf: t.csrf, submission_token: t.submission, confirmed: 'yes' })
      .expect(303);
    assert.match(res.headers.location, TASK_URL);
    const id = res.headers.location.split('/').pop()!;
    assert.ok((await fx.jobCount()) > before, 'the chain was enqueued');
    const page = await agent.get(res.headers.location).set(headers).expect(200);
    assert.match(page.text, new RegExp(`Queued preliminary alert for ${VALID.superevent_id}\\. Follow it as task ${id}\\.`));
    const audit = await listAudit(fx.engine.client.redis, fx.engine.config, { action: 'form.send_preliminary_gcn' });
    const entry = audit.entries.find((e) => e.taskId === id);
    assert.equal(entry?.outcome, 'accepted');
    assert.equal(entry?.user, 'albert.einstein');
    assert.equal(entry?.fields.superevent_id, VALID.superevent_id);
  });

  test('without JavaScript, a form that sends something public first shows a confirmation step', async () => {
    const { agent, headers, tokens } = await browser(fx.app);
    const before = await fx.jobCount();
    const t = await tokens('change_preferred_event');
    const res = await agent
      .post('/change_preferred_event')
      .set(headers)
      .type('form')
      .send({ ...VALID, _csrf: t.csrf, submission_token: t.submission })
      .expect(200);
    assert.match(res.text, /Please confirm: Change Preferred Event/);
    assert.match(res.text, /name="confirmed" value="yes"/);
    assert.match(res.text, new RegExp(`name="submission_token" value="${t.submission}"`));
    assert.equal(await fx.jobCount(), before, 'nothing enqueued before confirmation');
  });

  test('invalid input: 422, a message under each bad field, the input kept and escaped, nothing enqueued', async () => {
    const { agent, headers, tokens } = await browser(fx.app);
    const before = await fx.jobCount();
    const cases: [Record<string, string>, RegExp[]][] = [
      [{ event_id: 'G1' }, [/Superevent ID is required/]],
      [{ superevent_id: 'S24010a', event_id: 'G1' }, [/Superevent ID must look like S240101a/, /value="S24010a"/]],
      [{ superevent_id: 'S240101a', event_id: 'X99' }, [/Event ID must look like G123456/]],
      [{ superevent_id: 'S240101a', event_id: `G${'1'.repeat(80)}` }, [/at most 64 characters/]],
      [{ superevent_id: '<script>alert(1)</script>', event_id: 'G1' }, [/value="&lt;script&gt;alert\(1\)&lt;\/script&gt;"/]],
    ];
    for (const [fields, expected] of cases) {
      const t = await tokens('send_preliminary_gcn');
      const res = await agent
        .post('/send_preliminary_gcn')
        .set(headers)
        .type('form')
        .send({ ...fields, _csrf: t.csrf, submission_token: t.submission, confirmed: 'yes' })
        .expect(422);
      for (const pattern of expected) assert.match(res.text, pattern);
      assert.doesNotMatch(res.text, /<script>alert/);
    }
    // Repeated and nested fields.
    const t = await tokens('send_preliminary_gcn');
    const raw = `superevent_id=S240101a&superevent_id=S240101b&event_id[]=G1&_csrf=${encodeURIComponent(t.csrf)}&submission_token=${t.submission}&confirmed=yes`;
    const res = await agent.post('/send_preliminary_gcn').set(headers).type('form').send(raw).expect(422);
    assert.match(res.text, /must be given once/);
    assert.match(res.text, /nested or repeated fields are not accepted/);
    const circular = await tokens('create_update_gcn_circular');
    const none = await agent
      .post('/create_update_gcn_circular')
      .set(headers)
      .type('form')
      .send({ superevent_id: 'S240101a', _csrf: circular.csrf, submission_token: circular.submission })
      .expect(422);
    assert.match(none.text, /Choose at least one of sky localization, em_bright, p_astro or raven coincidence\./);
    // An external event is E and digits, mock ones too (the embedded GraceDB and GraceDB give External events E): as `gwqueue chain` says.
    const raven = await tokens('apply_raven_labels');
    const mdc = await agent
      .post('/apply_raven_labels')
      .set(headers)
      .type('form')
      .send({
        superevent_id: 'MS240101a',
        ext_id: 'M0003',
        event_id: 'M0001',
        _csrf: raven.csrf,
        submission_token: raven.submission,
        confirmed: 'yes',
      })
      .expect(422);
    assert.match(mdc.text, /External event ID must look like E123456/);
    assert.equal(await fx.jobCount(), before);
    const audit = await listAudit(fx.engine.client.redis, fx.engine.config, { action: 'form.send_preliminary_gcn' });
    assert.ok(audit.entries.some((e) => e.outcome === 'rejected' && /superevent_id/.test(e.detail)));
  });

  test('a POST without a CSRF token is refused with 403 and enqueues nothing', async () => {
    const { agent, headers, tokens } = await browser(fx.app);
    const before = await fx.jobCount();
    const csrfRefusals = async () =>
      (await listAudit(fx.engine.client.redis, fx.engine.config, { action: 'form.send_preliminary_gcn' })).entries.filter((e) =>
        /CSRF check failed/.test(e.detail),
      );
    const refusedBefore = (await csrfRefusals()).length;
    const t = await tokens('send_preliminary_gcn');
    const res = await agent
      .post('/send_preliminary_gcn')
      .set(headers)
      .type('form')
      .send({ ...VALID, submission_token: t.submission, confirmed: 'yes' })
      .expect(403);
    assert.match(res.text, /CSRF check failed/);
    await agent
      .post('/send_preliminary_gcn')
      .set(headers)
      .type('form')
      .send({ ...VALID, _csrf: 'forged', submission_token: t.submission, confirmed: 'yes' })
      .expect(403);
    assert.equal(await fx.jobCount(), before);
    const refused = await csrfRefusals();
    assert.equal(refused.length, refusedBefore + 2, 'both refused posts are in the audit log');
    assert.deepEqual([refused[0].user, refused[0].outcome, refused[0].fields], ['albert.einstein', 'rejected', {}]);
  });

  test('an authenticated but unauthorized user gets a 403 page; the attempt is audited; nothing enqueued', async () => {
    const { agent, headers, tokens } = await browser(fx.app, 'mallory');
    const before = await fx.jobCount();
    const home = await agent.get('/').set(headers).expect(200);
    assert.match(home.text, /mallory <span class="badge text-bg-warning">view only/);
    const t = await tokens('send_preliminary_gcn');
    const res = await agent
      .post('/send_preliminary_gcn')
      .set(headers)
      .type('form')
      .send({ ...VALID, _csrf: t.csrf, submission_token: t.submission, confirmed: 'yes' })
      .expect(403);
    assert.match(res.text, /mallory is not allowed to submit/);
    assert.equal(await fx.jobCount(), before);
    const audit = await listAudit(fx.engine.client.redis, fx.engine.config, { user: 'mallory' });
    assert.equal(audit.entries[0]?.outcome, 'unauthorized');
  });

  test('a member of an authorized group may submit', async () => {
    const { agent } = await browser(fx.app, 'marie.curie');
    const headers = { 'X-Proxy-Remote-User': 'marie.curie', 'X-Proxy-Remote-Groups': 'physics;emfollow' };
    // The page is fetched with the groups too: only someone who may act gets a CSRF token.
    const home = (await agent.get('/').set(headers).expect(200)).text.split('action="/send_mock_event"')[1];
    const t = {
      csrf: /name="_csrf" value="([^"]+)"/.exec(home)![1],
      submission: /name="submission_token" value="([^"]+)"/.exec(home)![1],
    };
    await agent
      .post('/send_mock_event')
      .set(headers)
      .type('form')
      .send({ _csrf: t.csrf, submission_token: t.submission, confirmed: 'yes' })
      .expect(303);
  });

  test('the same submission token posted twice enqueues once and leads to the first task', async () => {
    const { agent, headers, tokens } = await browser(fx.app);
    const t = await tokens('send_preliminary_gcn');
    const body = { ...VALID, _csrf: t.csrf, submission_token: t.submission, confirmed: 'yes' };
    const before = await fx.jobCount();
    const [first, second] = await Promise.all([
      agent.post('/send_preliminary_gcn').set(headers).type('form').send(body),
      agent.post('/send_preliminary_gcn').set(headers).type('form').send(body),
    ]);
    const third = await agent.post('/send_preliminary_gcn').set(headers).type('form').send(body).expect(303);
    assert.equal(first.status, 303);
    assert.equal(second.status, 303);
    const locations = new Set([first.headers.location, second.headers.location, third.headers.location]);
    assert.equal(locations.size, 1, 'every answer leads to the same task');
    const added = (await fx.jobCount()) - before;
    const page = await agent
      .get([...locations][0])
      .set(headers)
      .expect(200);
    assert.match(page.text, /already submitted/);
    const single = await (async () => {
      const t2 = await tokens('send_preliminary_gcn');
      const c0 = await fx.jobCount();
      await agent
        .post('/send_preliminary_gcn')
        .set(headers)
        .type('form')
        .send({ ...body, _csrf: t2.csrf, submission_token: t2.submission })
        .expect(303);
      return (await fx.jobCount()) - c0;
    })();
    assert.equal(added, single, 'three posts of one token enqueue as much as one post');
  });

  test('scripted clients: API token without CSRF gets 202 JSON; a bad token 401; bad input 422 JSON', async () => {
    const before = await fx.jobCount();
    const res = await robotPost('application/json').send(VALID).expect(202);
    assert.match(res.body.url, TASK_URL);
    assert.equal(res.body.url, `/tasks/${res.body.id}`);
    assert.ok((await fx.jobCount()) > before);
    const task = await request(fx.app).get(`/api/tasks/${res.body.id}`).expect(200);
    assert.equal(task.body.id, res.body.id);
    assert.equal(task.body.submittedBy, 'robot');
    await request(fx.app)
      .post('/send_preliminary_gcn')
      .set('Authorization', 'Bearer wrong-token-wrong-token')
      .type('form')
      .send(VALID)
      .expect(401);
    const bad = await request(fx.app)
      .post('/send_preliminary_gcn')
      .set('Authorization', `Bearer ${API_TOKEN}`)
      .set('Accept', 'application/json')
      .send({ superevent_id: ['S240101a'], event_id: { a: 1 } })
      .expect(422);
    assert.equal(bad.body.fields.superevent_id, 'must be given once, as text');
    assert.equal(bad.body.fields.event_id, 'must be given once, as text');
  });

  test('an API token that asks for HTML alone is answered as a browser: 303 to the task page', async () => {
    const before = await fx.jobCount();
    const res = await robotPost('text/html').send(VALID).expect(303);
    assert.match(res.headers.location, TASK_URL);
    assert.ok((await fx.jobCount()) > before, 'the chain was enqueued');
    // `*/*` (curl's default) is no preference: JSON, as without Accept.
    const any = await robotPost('*/*').send(VALID).expect(202);
    assert.match(any.body.url, TASK_URL);
  });

  test('Idempotency-Key makes an API submission one-time too', async () => {
    const send = () =>
      request(fx.app)
        .post('/send_mock_event')
        .set('Authorization', `Bearer ${API_TOKEN}`)
        .set('Accept', 'application/json')
        .set('Idempotency-Key', 'retry-safe-key-0001')
        .send({});
    const first = await send().expect(202);
    const second = await send().expect(200);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.body.duplicate, true);
  });

  test('task pages: HTML and JSON; unknown IDs are 404 in both', async () => {
    const res = await request(fx.app)
      .post('/send_mock_event')
      .set('Authorization', `Bearer ${API_TOKEN}`)
      .set('Accept', 'application/json')
      .send({})
      .expect(202);
    const html = await request(fx.app).get(res.body.url).expect(200);
    assert.match(html.text, /data-finished="false"/);
    assert.match(html.text, /<noscript><meta http-equiv="refresh" content="2"><\/noscript>/);
    const unknown = await request(fx.app).get('/tasks/00000000-0000-4000-8000-000000000000').expect(404);
    assert.match(unknown.text, /No task with ID/);
    const json = await request(fx.app).get('/api/tasks/00000000-0000-4000-8000-000000000000').expect(404);
    assert.match(json.body.error, /No task with ID/);
    await request(fx.app).get('/tasks/..%2F..%2Fetc').expect(404);
  });

  test('a body over the limit is 413; unknown pages 404', async () => {
    const { agent, headers } = await browser(fx.app);
    await agent
      .post('/send_preliminary_gcn')
      .set(headers)
      .type('form')
      .send(`superevent_id=${'x'.repeat(40_000)}`)
      .expect(413);
    await request(fx.app).get('/no/such/page').expect(404);
  });

  test('the audit page lists submissions and filters by user and form', async () => {
    // The audit log is for admins (test/reliability/security-trust.test.ts): ada.lovelace is one here.
    const admin = { 'X-Proxy-Remote-User': 'ada.lovelace' };
    const page = await request(fx.app).get('/audit?user=mallory').set(admin).expect(200);
    assert.match(page.text, /unauthorized/);
    assert.doesNotMatch(page.text, /albert\.einstein/);
    const json = await request(fx.app).get('/audit?form=form.send_mock_event').set(admin).set('Accept', 'application/json').expect(200);
    assert.ok(json.body.entries.length >= 1);
    assert.ok(json.body.entries.every((e: { action: string }) => e.action === 'form.send_mock_event'));
    // The filter offers every action name, not only the forms'.
    for (const action of ['form.send_preliminary_gcn', 'form.apply_raven_labels', 'task.retry'])
      assert.match(page.text, new RegExp(`<option value="${action.replace('.', '\\.')}"`));
  });
});

describe('identity from untrusted addresses', () => {
  let fx: InProcess;
  before(async () => {
    fx = await startInProcess({ app: true, env: { ...CONSOLE_ACCESS, GWQUEUE_TRUSTED_PROXIES: '10.1.2.3' } });
  });
  after(async () => {
    await fx?.stop();
  });

  test('a spoofed identity header from an address that is not a trusted proxy is ignored', async () => {
    const { agent, headers, tokens } = await browser(fx.app, 'albert.einstein');
    const home = await agent.get('/').set(headers).expect(200);
    assert.match(home.text, /not signed in/);
    const t = await tokens('send_preliminary_gcn');
    const before = await fx.jobCount();
    await agent
      .post('/send_preliminary_gcn')
      .set(headers)
      .type('form')
      .send({ ...VALID, _csrf: t.csrf, submission_token: t.submission, confirmed: 'yes' })
      .expect(403);
    assert.equal(await fx.jobCount(), before);
  });
});

describe('Redis down', () => {
  let fx: InProcess;
  before(async () => {
    fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
  });
  after(async () => {
    await fx?.stop();
  });

  test('a submission gets a 503 page saying the queue is unavailable, and nothing is half-done', async () => {
    const { agent, headers, tokens } = await browser(fx.app);
    const t = await tokens('send_preliminary_gcn');
    // A client waiting on a task (no worker runs here) when Redis goes away gets a 503 within seconds, not a hang.
    const queued = await request(fx.app)
      .post('/send_mock_event')
      .set('Authorization', `Bearer ${API_TOKEN}`)
      .set('Accept', 'application/json')
      .send({})
      .expect(202);
    const waiting = request(fx.app)
      .get(`/api/tasks/${queued.body.id}?wait=30`)
      .then((res) => ({ status: res.status, at: Date.now() }));
    // Redis goes away only once the client is really waiting: its request listens for the task's end.
    const events = fx.engine.client.events(
      (await fx.engine.client.queueOf(queued.body.id))!,
    ) as unknown as import('node:events').EventEmitter;
    await eventually(async () => events.listenerCount(`completed:${queued.body.id}`) > 0, 10_000, 'the client to wait for the task');
    const killedAt = Date.now();
    await fx.redis.kill();
    const waited = await waiting;
    assert.equal(waited.status, 503);
    assert.ok(waited.at - killedAt < 5000, `the waiting client was answered ${waited.at - killedAt} ms after Redis died`);
    const started = Date.now();
    await request(fx.app).get(`/api/tasks/${queued.body.id}?wait=30`).expect(503);
    assert.ok(Date.now() - started < 3000, 'a new wait while Redis is down is refused at once');
    const res = await agent
      .post('/send_preliminary_gcn')
      .set(headers)
      .type('form')
      .send({ ...VALID, _csrf: t.csrf, submission_token: t.submission, confirmed: 'yes' })
      .expect(503);
    assert.match(res.text, /queue is unavailable/);
    const api = await request(fx.app)
      .post('/send_preliminary_gcn')
      .set('Authorization', `Bearer ${API_TOKEN}`)
      .set('Accept', 'application/json')
      .send(VALID)
      .expect(503);
    assert.match(api.body.error, /unavailable/);
    await fx.redis.restart();
    // The console recovers by itself once Redis is back.
    await eventually(
      async () =>
        (
          await request(fx.app)
            .post('/send_mock_event')
            .set('Authorization', `Bearer ${API_TOKEN}`)
            .set('Accept', 'application/json')
            .send({})
        ).status === 202,
      10_000,
      'recovery',
    );
  });
});

describe('health endpoints', () => {
  let fx: InProcess;
  before(async () => {
    fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
  });
  after(async () => {
    await fx?.stop();
  });

  test('/healthz answers while the process lives; /readyz is 503 without workers and 200 once every queue is served', async () => {
    const health = await request(fx.app).get('/healthz').expect(200);
    assert.equal(health.body.status, 'ok');
    const notReady = await request(fx.app).get('/readyz').expect(503);
    assert.equal(notReady.body.status, 'CRITICAL');
    assert.ok(notReady.body.findings.some((f: { summary: string }) => /Not all expected queues are active/.test(f.summary)));
    await fx.engine.startWorker({ name: 'ready@test' });
    const ready = await eventually(
      async () => {
        const res = await request(fx.app).get('/readyz');
        return res.status === 200 ? res : undefined;
      },
      10_000,
      'readiness',
    );
    assert.match(ready.body.status, /^(OK|WARNING)$/);
    assert.ok(Array.isArray(ready.body.perfdata));
    assert.equal(ready.headers['set-cookie'], undefined, 'probes get no session');
  });
});
