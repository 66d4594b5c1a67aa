// Security suite against the real app (supertest): CSRF across sites and sessions, spoofed proxy identity, authorization of every form and control, CSP, inline-free HTML.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { startInProcess, CONSOLE_ACCESS, browser, API_TOKEN, type InProcess } from '../helpers/in-process.js';
import { OPERATOR_FORMS } from '../../src/forms/registry.js';
import { ROUTES, fullPath } from '../../src/web/routes.js';
import { listAudit, type AuditEntry } from '../../src/audit/audit-log.js';
import { sendHeartbeat, hostSnapshot } from '../../src/queue/heartbeats.js';
import { raiseError, sleep } from '../../src/tasks/core.js';

/** A valid body for every operator form: a check that is skipped would otherwise enqueue it. */
const VALID: Record<string, Record<string, string>> = {
  send_preliminary_gcn: { superevent_id: 'S240101a', event_id: 'G123456' },
  send_update_gcn: {
    superevent_id: 'S240101a',
    skymap_filename: 'bayestar.multiorder.fits,0',
    em_bright_filename: 'em_bright.json,0',
    p_astro_filename: 'p_astro.json,0',
  },
  create_update_gcn_circular: { superevent_id: 'S240101a', sky_localization: 'on' },
  create_medium_latency_gcn_circular: { ext_event_id: 'E123456' },
  change_preferred_event: { superevent_id: 'S240101a', event_id: 'G123456' },
  change_pipeline_preferred_event: { superevent_id: 'S240101a', pipeline: 'gstlal', event_id: 'G123456' },
  apply_raven_labels: { superevent_id: 'S240101a', ext_id: 'E123456', event_id: 'G123456' },
  send_mock_event: {},
  send_mock_joint_event: {},
  download_upload_external_skymap: { ext_id: 'E123456', skymap_url: 'https://heasarc.gsfc.nasa.gov/FTP/fermi/skymap.fits' },
  create_skymap_with_disabled_detectors: { event_id: 'G123456', H1: 'on' },
  copy_sky_map_between_events: { superevent_id: 'S240101a', event_id: 'G123456', skymap_filename: 'bayestar.multiorder.fits,0' },
  advocate_signoff: { superevent_id: 'S240101a', status: 'OK' },
};
/**
 * An attacker's page in a browser that sends neither Origin nor Sec-Fetch-Site with its POST: only the CSRF token stands
 * in its way (what a modern browser sends is refused before that: security-origin.test.ts).
 */
const ATTACKER = { Referer: 'http://attacker.invalid/innocent.html' };

/** Every dashboard control (and the console's retry) with a body that would act if authorization were skipped. */
function controlRequests(failedId: string, delayedId: string) {
  return [
    { key: 'retry', path: `/flower/tasks/${failedId}/retry`, body: {}, action: 'task.retry' },
    { key: 'retry', path: `/tasks/${failedId}/retry`, body: {}, action: 'task.retry' },
    { key: 'cancel', path: `/flower/tasks/${delayedId}/cancel`, body: { confirmed: 'yes' }, action: 'task.cancel' },
    { key: 'promote', path: `/flower/tasks/${delayedId}/promote`, body: { confirmed: 'yes' }, action: 'task.promote' },
    { key: 'pause', path: '/flower/queues/celery/pause', body: { confirmed: 'yes' }, action: 'queue.pause' },
    { key: 'resume', path: '/flower/queues/celery/resume', body: {}, action: 'queue.resume' },
    { key: 'clean', path: '/flower/queues/celery/clean', body: { state: 'failed', age: '0', confirmed: 'yes' }, action: 'queue.clean' },
    {
      key: 'clean',
      path: '/flower/queues/clean',
      body: { queue: 'celery', state: 'failed', age: '0', confirmed: 'yes' },
      action: 'queue.clean',
    },
    { key: 'forget', path: '/flower/workers/ghost%40test/forget', body: { confirmed: 'yes' }, action: 'worker.forget' },
  ];
}

/** A console with a failed task, a delayed task and an offline worker: something for every control to act on. */
async function consoleWithTargets(env: Record<string, string> = {}) {
  const fx = await startInProcess({ app: true, env: { ...CONSOLE_ACCESS, ...env } });
  const worker = await fx.engine.startWorker({ name: 'sec@test' });
  const failed = await raiseError.delay('for the retry control');
  await failed.get({ timeout: 15 }).catch(() => null);
  const delayedId = (await sleep.applyAsync({ args: [1], countdown: 3600 })).id;
  await worker.stop();
  const now = new Date().toISOString();
  await sendHeartbeat(fx.engine.client.redis, fx.engine.config, {
    name: 'ghost@test',
    queues: ['celery'],
    concurrency: 1,
    status: 'online',
    startedAt: now,
    lastHeartbeat: now,
    version: '0',
    active: 0,
    processed: 0,
    succeeded: 0,
    failed: 0,
    retried: 0,
    ...hostSnapshot(),
  });
  await fx.engine.client.redis.del(`{${fx.engine.config.prefix}}:worker:ghost@test:alive`);
  const state = async () => ({
    failed: (await fx.engine.client.findJob(failed.id))?.id,
    delayed: (await fx.engine.client.findJob(delayedId))?.id,
    paused: await fx.engine.client.queue('celery').isPaused(),
    ghost: await fx.engine.client.redis.zscore(`{${fx.engine.config.prefix}}:workers`, 'ghost@test'),
    jobs: await fx.jobCount(),
  });
  return { fx, failedId: failed.id, delayedId, state, controls: () => controlRequests(failed.id, delayedId) };
}

const audit = async (fx: InProcess, user: string): Promise<AuditEntry[]> =>
  (await listAudit(fx.engine.client.redis, fx.engine.config, { user, limit: 500 })).entries;

/** POSTs every form (valid body, valid session CSRF and submission tokens) as `user`, expecting `status` each time. */
async function postEveryForm(app: Express, user: string | null, extraHeaders: Record<string, string>, status: number) {
  const { agent, headers, tokens } = await browser(app, user);
  for (const form of OPERATOR_FORMS) {
    const t = await tokens(form.name);
    // A viewer's page has no CSRF token (and makes no session): a viewer's POST is refused by authorization instead.
    assert.ok(t.submission && (t.csrf || status === 403), `${form.name}: the page gave tokens`);
    const res = await agent
      .post(`/${form.name}`)
      .set({ ...headers, ...extraHeaders })
      .type('form')
      .send({ ...VALID[form.name], _csrf: t.csrf, submission_token: t.submission, confirmed: 'yes' });
    // A form that looks its IDs up in GraceDB first gets through to that look-up: these IDs are in no GraceDB (404).
    const lookedUp = status === 303 && form.check !== undefined;
    assert.equal(res.status, lookedUp ? 422 : status, `${form.name} as ${user ?? 'anonymous'}: ${res.status} ${res.text.slice(0, 200)}`);
    if (lookedUp) assert.match(res.text, /GraceDB query for \S+ returned error code 404\./, form.name);
  }
}

describe('security: CSRF, authorization', () => {
  let t: Awaited<ReturnType<typeof consoleWithTargets>>;
  before(async () => {
    // A limit high enough for the wrong-token test's 16 attempts (the limit itself: security-trust.test.ts).
    t = await consoleWithTargets({ GWQUEUE_TOKEN_FAILURES_PER_MINUTE: '1000' });
  });
  after(async () => {
    await t?.fx.stop();
  });

  test('VALID covers every operator form and the control list covers every other operator route of the URL table', () => {
    assert.deepEqual(Object.keys(VALID).sort(), OPERATOR_FORMS.map((f) => f.name).sort());
    const formPaths = new Set(OPERATOR_FORMS.flatMap((f) => [f.name, ...(f.aliases ?? [])]).map((name) => `/${name}`));
    // Every route that acts (operator or admin) is attacked below.
    const operatorRoutes = ROUTES.filter((route) => route.method === 'POST' && !formPaths.has(route.path)).map((route) =>
      fullPath(route, '/flower'),
    );
    const asPattern = (path: string) => new RegExp(`^${path.replace(/:[a-z]+/g, '[^/]+')}$`);
    for (const path of operatorRoutes)
      assert.ok(
        t.controls().some((c) => asPattern(path).test(c.path)),
        `${path} is attacked below`,
      );
    for (const control of t.controls())
      assert.ok(
        operatorRoutes.some((path) => asPattern(path).test(control.path)),
        `${control.path} is an operator route`,
      );
  });

  test('a cross-site POST without a CSRF token is refused (403) and enqueues nothing, with or without a session', async () => {
    const before = await t.state();
    const { agent, headers, tokens } = await browser(t.fx.app);
    const home = await agent.get('/').set(headers).expect(200);
    assert.match(String(home.headers['set-cookie']), /gwqueue\.sid=s%3A[^;]+;.*HttpOnly/i, 'GET / gave a session cookie');
    assert.match(String(home.headers['set-cookie']), /SameSite=Lax/i);
    for (const form of OPERATOR_FORMS) {
      const { submission } = await tokens(form.name);
      const body = { ...VALID[form.name], submission_token: submission, confirmed: 'yes' };
      // The attacker's page: the victim's session cookie is sent along, the token is not known.
      const withCookie = await agent
        .post(`/${form.name}`)
        .set({ ...headers, ...ATTACKER })
        .type('form')
        .send(body);
      assert.equal(withCookie.status, 403, `${form.name} with the session cookie`);
      assert.match(withCookie.text, /CSRF check failed/);
      const noSession = await request(t.fx.app)
        .post(`/${form.name}`)
        .set({ ...headers, ...ATTACKER })
        .type('form')
        .send(body);
      assert.equal(noSession.status, 403, `${form.name} without a session`);
      const forged = await agent
        .post(`/${form.name}`)
        .set({ ...headers, ...ATTACKER })
        .type('form')
        .send({ ...body, _csrf: 'forged-0123456789abcdef' });
      assert.equal(forged.status, 403, `${form.name} with a forged token`);
    }
    for (const control of t.controls()) {
      const res = await agent
        .post(control.path)
        .set({ ...headers, ...ATTACKER })
        .type('form')
        .send(control.body);
      assert.equal(res.status, 403, `${control.path} without a CSRF token`);
    }
    assert.deepEqual(await t.state(), before, 'nothing enqueued, nothing changed');
    // The same session with its own token gets through: the 403s above were the CSRF check.
    await postEveryForm(t.fx.app, 'albert.einstein', {}, 303);
    assert.ok((await t.fx.jobCount()) > before.jobs);
  });

  test('a CSRF token from one session does not work in another session (body or header)', async () => {
    const victim = await browser(t.fx.app);
    const attacker = await browser(t.fx.app);
    const stolen = await victim.tokens('send_mock_event');
    const own = await attacker.tokens('send_mock_event');
    assert.notEqual(stolen.csrf, own.csrf, 'each session has its own token');
    const before = await t.fx.jobCount();
    for (const form of OPERATOR_FORMS) {
      const body = { ...VALID[form.name], submission_token: own.submission, confirmed: 'yes' };
      const inBody = await attacker.agent
        .post(`/${form.name}`)
        .set(attacker.headers)
        .type('form')
        .send({ ...body, _csrf: stolen.csrf });
      assert.equal(inBody.status, 403, form.name);
      const inHeader = await attacker.agent
        .post(`/${form.name}`)
        .set({ ...attacker.headers, 'X-CSRF-Token': stolen.csrf })
        .type('form')
        .send(body);
      assert.equal(inHeader.status, 403, form.name);
      const cookieless = await request(t.fx.app)
        .post(`/${form.name}`)
        .set(victim.headers)
        .type('form')
        .send({ ...body, _csrf: stolen.csrf });
      assert.equal(cookieless.status, 403, form.name);
    }
    const control = await attacker.agent
      .post('/flower/queues/celery/pause')
      .set(attacker.headers)
      .type('form')
      .send({ _csrf: stolen.csrf, confirmed: 'yes' });
    assert.equal(control.status, 403);
    assert.equal(await t.fx.engine.client.queue('celery').isPaused(), false);
    assert.equal(await t.fx.jobCount(), before);
  });

  for (const who of ['marie.curie', 'member of another group', 'anonymous']) {
    test(`${who}: every form and every control is refused (403), audited as unauthorized, nothing changed`, async () => {
      const user = who === 'anonymous' ? null : who === 'marie.curie' ? 'marie.curie' : 'pierre.curie';
      const groups: Record<string, string> = user === 'pierre.curie' ? { 'X-Proxy-Remote-Groups': 'physics;chemistry' } : {};
      const before = await t.state();
      await postEveryForm(t.fx.app, user, groups, 403);
      const { agent, headers, tokens } = await browser(t.fx.app, user);
      const { csrf } = await tokens('send_mock_event');
      for (const control of t.controls()) {
        const res = await agent
          .post(control.path)
          .set({ ...headers, ...groups })
          .type('form')
          .send({ _csrf: csrf, ...control.body });
        assert.equal(res.status, 403, `${control.path}: ${res.status}`);
        assert.match(res.text, /not allowed/);
      }
      assert.deepEqual(await t.state(), before, 'no job added, removed, paused or forgotten');
      const entries = await audit(t.fx, user ?? 'anonymous');
      for (const form of OPERATOR_FORMS)
        assert.ok(
          entries.some((e) => e.action === form.auditAction && e.outcome === 'unauthorized'),
          `audit ${form.name}`,
        );
      for (const control of t.controls())
        assert.ok(
          entries.some((e) => e.action === control.action && e.outcome === 'unauthorized'),
          `audit ${control.action}`,
        );
      assert.ok(entries.every((e) => e.outcome === 'unauthorized' && e.taskId === null));
    });
  }

  test('a wrong API token: 401 for every form and control, audited, nothing changed; the right one works', async () => {
    const before = await t.state();
    const wrong = { Authorization: 'Bearer not-the-token-0123456789', Accept: 'application/json' };
    for (const form of OPERATOR_FORMS)
      await request(t.fx.app).post(`/${form.name}`).set(wrong).type('form').send(VALID[form.name]).expect(401);
    for (const control of t.controls()) await request(t.fx.app).post(control.path).set(wrong).type('form').send(control.body).expect(401);
    await request(t.fx.app)
      .post('/send_mock_event')
      .set({ Authorization: `Basic ${Buffer.from('robot:x').toString('base64')}` })
      .expect(401);
    assert.deepEqual(await t.state(), before);
    const entries = (await audit(t.fx, 'anonymous')).filter((e) => e.detail === 'invalid API token');
    for (const form of OPERATOR_FORMS)
      assert.ok(
        entries.some((e) => e.action === form.auditAction && e.outcome === 'unauthorized'),
        `audit ${form.name}`,
      );
    assert.ok(entries.length >= OPERATOR_FORMS.length + t.controls().length);
    const ok = await request(t.fx.app)
      .post('/send_mock_event')
      .set({ Authorization: `Bearer ${API_TOKEN}`, Accept: 'application/json' })
      .send({})
      .expect(202);
    assert.ok(ok.body.id);
  });
});

describe('security: spoofed identity headers from an untrusted address', () => {
  let t: Awaited<ReturnType<typeof consoleWithTargets>>;
  before(async () => {
    t = await consoleWithTargets({ GWQUEUE_TRUSTED_PROXIES: '10.1.2.3', GWQUEUE_API_TOKENS: `robot:admin=${API_TOKEN}` });
  });
  after(async () => {
    await t?.fx.stop();
  });

  test('X-Proxy-Remote-User/-Groups (and X-Forwarded-For naming the proxy) are ignored: anonymous, 403, audited as anonymous', async () => {
    const spoof = {
      'X-Proxy-Remote-Groups': 'emfollow',
      'X-Forwarded-For': '10.1.2.3',
      'X-Real-IP': '10.1.2.3',
      Forwarded: 'for=10.1.2.3',
    };
    const home = await request(t.fx.app)
      .get('/')
      .set({ 'X-Proxy-Remote-User': 'albert.einstein', ...spoof })
      .expect(200);
    assert.match(home.text, /not signed in/);
    assert.doesNotMatch(home.text, /albert\.einstein/);
    const before = await t.state();
    await postEveryForm(t.fx.app, 'albert.einstein', spoof, 403);
    const { agent, headers, tokens } = await browser(t.fx.app, 'albert.einstein');
    const { csrf } = await tokens('send_mock_event');
    for (const control of t.controls()) {
      const res = await agent
        .post(control.path)
        .set({ ...headers, ...spoof })
        .type('form')
        .send({ _csrf: csrf, ...control.body });
      assert.equal(res.status, 403, control.path);
    }
    assert.deepEqual(await t.state(), before);
    assert.deepEqual(await audit(t.fx, 'albert.einstein'), [], 'nothing was done or recorded as the spoofed user');
    const entries = await audit(t.fx, 'anonymous');
    for (const form of OPERATOR_FORMS)
      assert.ok(
        entries.some((e) => e.action === form.auditAction && e.outcome === 'unauthorized' && e.address === '127.0.0.1'),
        form.name,
      );
    const page = await request(t.fx.app)
      .get('/audit?user=anonymous')
      .set('Authorization', `Bearer ${API_TOKEN}`)
      .set('Accept', 'text/html')
      .expect(200);
    assert.match(page.text, /unauthorized/);
  });
});

/** `script-src 'self'` → { 'script-src': ["'self'"] } */
function parseCsp(header: string | undefined): Record<string, string[]> {
  assert.ok(header, 'a Content-Security-Policy header');
  return Object.fromEntries(
    header
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name.toLowerCase(), values]),
  );
}

describe('security: CSP and inline-free pages', () => {
  let t: Awaited<ReturnType<typeof consoleWithTargets>>;
  let pages: { path: string; status: number; text: string; headers: Record<string, string> }[];
  before(async () => {
    t = await consoleWithTargets({ GWQUEUE_ADMIN_USERS: 'albert.einstein' });
    const { agent, headers, tokens } = await browser(t.fx.app, 'mallory');
    // An attempt with markup in its fields, so that the audit page shows attacker-controlled text.
    const tk = await tokens('send_preliminary_gcn');
    await agent
      .post('/send_preliminary_gcn')
      .set(headers)
      .type('form')
      .send({
        superevent_id: '<script>window.x=1</script>',
        event_id: '" onmouseover="alert(1)',
        _csrf: tk.csrf,
        submission_token: tk.submission,
        confirmed: 'yes',
      })
      .expect(403);
    const albert = await browser(t.fx.app);
    const ta = await albert.tokens('send_preliminary_gcn');
    const get = async (path: string, status: number, as = albert) => {
      const res = await as.agent.get(path).set(as.headers);
      assert.equal(res.status, status, path);
      return { path, status, text: res.text, headers: res.headers as Record<string, string> };
    };
    // The confirmation page of a form that asks GraceDB nothing first (send_preliminary_gcn would answer 422: its IDs
    // are in no GraceDB here).
    const tm = await albert.tokens('send_mock_event');
    const confirm = await albert.agent
      .post('/send_mock_event')
      .set(albert.headers)
      .type('form')
      .send({ ...VALID.send_mock_event, _csrf: tm.csrf, submission_token: tm.submission })
      .expect(200);
    const control = await albert.agent
      .post('/flower/queues/celery/pause')
      .set(albert.headers)
      .type('form')
      .send({ _csrf: ta.csrf })
      .expect(200);
    const invalid = await albert.agent
      .post('/send_preliminary_gcn')
      .set(albert.headers)
      .type('form')
      .send({ superevent_id: '<img src=x onerror=alert(1)>', _csrf: ta.csrf, submission_token: ta.submission, confirmed: 'yes' })
      .expect(422);
    const denied = await request(t.fx.app).post('/send_mock_event').type('form').send({}).expect(403);
    const badToken = await request(t.fx.app).get('/').set('Authorization', 'Bearer wrong-wrong-wrong-wrong').expect(401);
    const asPage = (path: string, res: request.Response) => ({
      path,
      status: res.status,
      text: res.text,
      headers: res.headers as Record<string, string>,
    });
    pages = [
      await get('/', 200),
      await get(`/tasks/${t.failedId}`, 200),
      await get('/tasks/00000000-0000-4000-8000-000000000000', 404),
      await get('/audit', 200),
      await get('/audit?user=mallory', 200),
      await get('/flower/', 200),
      await get('/flower/tasks', 200),
      await get('/flower/tasks?state=failed', 200),
      await get('/flower/queues', 200),
      await get('/flower/history', 200),
      await get('/flower/workers/ghost%40test', 200),
      await get('/flower/host/', 200),
      await get('/no/such/page', 404),
      await get('/send_mock_event', 405),
      await get('/static/nope.js', 404),
      await get('/api/tasks/nope', 404),
      asPage('confirm page', confirm),
      asPage('control confirm page', control),
      asPage('422 page', invalid),
      asPage('403 page', denied),
      asPage('401 answer', badToken),
    ];
  });
  after(async () => {
    await t?.fx.stop();
  });

  test('every page and error answer carries a CSP that forbids inline scripts, eval, other origins, framing and plugins', () => {
    for (const page of pages) {
      const csp = parseCsp(page.headers['content-security-policy']);
      const where = `${page.path} (${page.status})`;
      assert.deepEqual(csp['script-src'], ["'self'"], `${where}: script-src is 'self' only`);
      assert.deepEqual(csp['default-src'], ["'self'"], where);
      assert.deepEqual(csp['frame-ancestors'], ["'none'"], where);
      assert.deepEqual(csp['object-src'], ["'none'"], where);
      assert.deepEqual(csp['base-uri'], ["'self'"], where);
      assert.deepEqual(csp['form-action'], ["'self'"], where);
      assert.equal(csp['script-src-attr'], undefined, `${where}: inline handlers fall under script-src`);
      for (const [name, values] of Object.entries(csp)) {
        for (const value of values) {
          assert.doesNotMatch(value, /unsafe-|strict-dynamic|nonce-|sha\d+-/, `${where}: ${name} ${value}`);
          // Only this origin: no host, scheme or wildcard (data: images are the one exception).
          assert.ok(["'self'", "'none'"].includes(value) || (name === 'img-src' && value === 'data:'), `${where}: ${name} allows ${value}`);
        }
      }
      assert.equal(page.headers['x-content-type-options'], 'nosniff', where);
      assert.equal(page.headers['x-powered-by'], undefined, where);
    }
  });

  test('no page has an inline <script>, a script from elsewhere, an inline event handler or a javascript: URL', () => {
    const html = pages.filter((p) => /text\/html/.test(p.headers['content-type'] ?? ''));
    assert.ok(html.length >= 15, `HTML pages scanned: ${html.map((p) => p.path).join(', ')}`);
    for (const page of html) {
      const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)];
      assert.equal(scripts.length, (page.text.match(/<script\b/gi) ?? []).length, `${page.path}: every <script> is closed`);
      for (const [, attrs, body] of scripts) {
        assert.match(attrs, /\bsrc="\/(?!\/)[^"]+"/, `${page.path}: <script${attrs}> has a local src`);
        assert.equal(body.trim(), '', `${page.path}: a script element with inline text`);
      }
      const tags = page.text.match(/<[a-z][^>]*>/gi) ?? [];
      for (const tag of tags) {
        // Attribute names only: escaped text inside a quoted value (an operator's input) is not an attribute.
        assert.doesNotMatch(tag.replace(/"[^"]*"|'[^']*'/g, '""'), /\son[a-z]+\s*=/i, `${page.path}: inline event handler in ${tag}`);
        assert.doesNotMatch(tag, /(href|src|action)\s*=\s*["']?\s*javascript:/i, `${page.path}: javascript: URL in ${tag}`);
      }
    }
    const audit = pages.find((p) => p.path === '/audit?user=mallory')!;
    assert.match(audit.text, /&lt;script&gt;window\.x=1&lt;\/script&gt;/, 'attacker text is shown escaped');
  });
});
