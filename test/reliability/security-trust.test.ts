// Trust and comfort (#18), one test per finding: sessions only when needed, sessions tied to an identity, TLS behind the proxy (Secure cookie, HSTS, one framing policy), roles, and the limit on wrong API tokens across console processes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import { CONSOLE_ACCESS, browser, API_TOKEN, type InProcess, startInProcess, testConfig } from '../helpers/in-process.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { createApp } from '../../src/web/app.js';
import { createConsoleGraceDb } from '../../src/web/context.js';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/config/parse.js';
import { ROUTES } from '../../src/web/routes.js';
import { cleanQueue, purgeQueues } from '../../src/actions/queue-actions.js';
import { actorRole } from '../../src/actions/pipeline.js';
import { keyOf } from '../../src/redis/keys.js';
import { listAudit } from '../../src/audit/audit-log.js';
import { add, raiseError } from '../../src/tasks/core.js';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const sessionCount = async (fx: InProcess) => (await fx.engine.client.redis.keys(`${keyOf(fx.engine.config, 'session')}:*`)).length;
const csrfOf = (html: string) => /name="_csrf" value="([^"]*)"/.exec(html)?.[1] ?? '';
const submissionOf = (html: string, form: string) =>
  /name="submission_token" value="([^"]+)"/.exec(html.slice(html.indexOf(`action="/${form}"`)))?.[1] ?? '';

describe('sessions only when a page needs one', () => {
  let fx: InProcess;
  let failedId: string;
  before(async () => {
    fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
    const worker = await fx.engine.startWorker({ name: 'trust@test' });
    const failed = await raiseError.delay('so that task pages and the dashboard have a retry button');
    await failed.get({ timeout: 15 }).catch(() => null);
    failedId = failed.id;
    await worker.stop();
  });
  after(async () => {
    await fx?.stop();
  });

  test('300 cookieless GETs (the dashboard, a 404, /api/tasks/x) and anonymous page views add no session to Redis', async () => {
    const before = await sessionCount(fx);
    const paths = ['/flower/', '/no/such/page', '/api/tasks/x'];
    for (let i = 0; i < 300; i++) {
      const res = await request(fx.app).get(paths[i % paths.length]);
      assert.equal(res.headers['set-cookie'], undefined, `${paths[i % paths.length]} set a cookie`);
    }
    // A viewer may not act: the home page, a failed task's page and the dashboard show no form token for them.
    for (const path of ['/', `/tasks/${failedId}`, '/flower/tasks?state=failed', '/flower/queues']) {
      const res = await request(fx.app).get(path).expect(200);
      assert.equal(res.headers['set-cookie'], undefined, `${path} as a viewer set a cookie`);
      assert.equal(csrfOf(res.text), '', `${path}: no CSRF token for a viewer`);
    }
    assert.equal(await sessionCount(fx), before, 'no session key was added');
  });

  test('an operator gets a session only from a page with a form or control; GET / then POST a form works', async () => {
    const albert = { 'X-Proxy-Remote-User': 'albert.einstein' };
    const before = await sessionCount(fx);
    for (const path of ['/no/such/page', '/api/tasks/x', '/typeahead_event_id?q=G', '/flower/api/workers', '/flower/history'])
      assert.equal((await request(fx.app).get(path).set(albert)).headers['set-cookie'], undefined, path);
    assert.equal(await sessionCount(fx), before, 'reads made no session');
    const agent = request.agent(fx.app);
    const page = await agent.get(`/tasks/${failedId}`).set(albert).expect(200);
    assert.match(String(page.headers['set-cookie']), /gwqueue\.sid=/, 'the retry button needs a session');
    const home = await agent.get('/').set(albert).expect(200);
    assert.equal(await sessionCount(fx), before + 1, 'one session for the browser');
    await agent
      .post('/send_mock_event')
      .set(albert)
      .type('form')
      .send({ _csrf: csrfOf(home.text), submission_token: submissionOf(home.text, 'send_mock_event'), confirmed: 'yes' })
      .expect(303);
  });
});

describe('a session belongs to the identity it was made for', () => {
  let fx: InProcess;
  before(async () => {
    fx = await startInProcess({ app: true, env: { ...CONSOLE_ACCESS, GWQUEUE_AUTHORIZED_USERS: 'albert.einstein,marie.curie' } });
  });
  after(async () => {
    await fx?.stop();
  });

  test('when the proxy names another user, the session is replaced: new ID, the old CSRF token refused, the new one works', async () => {
    const agent = request.agent(fx.app);
    const marie = { 'X-Proxy-Remote-User': 'marie.curie' };
    const albert = { 'X-Proxy-Remote-User': 'albert.einstein' };
    const first = await agent.get('/').set(marie).expect(200);
    const oldCookie = /gwqueue\.sid=([^;]+)/.exec(String(first.headers['set-cookie']))![1];
    const oldToken = csrfOf(first.text);
    assert.ok(oldToken);
    const jobs = await fx.jobCount();
    const stale = await agent
      .post('/send_mock_event')
      .set(albert)
      .type('form')
      .send({ _csrf: oldToken, submission_token: submissionOf(first.text, 'send_mock_event'), confirmed: 'yes' });
    assert.equal(stale.status, 403, 'marie’s token does not work for albert');
    assert.match(stale.text, /CSRF check failed/);
    assert.equal(await fx.jobCount(), jobs, 'nothing enqueued');
    const second = await agent.get('/').set(albert).expect(200);
    const newCookie = /gwqueue\.sid=([^;]+)/.exec(String(second.headers['set-cookie']))?.[1];
    assert.ok(newCookie && newCookie !== oldCookie, 'a new session ID');
    assert.notEqual(csrfOf(second.text), oldToken);
    const oldSid = decodeURIComponent(oldCookie).slice(2).split('.')[0];
    assert.equal(await fx.engine.client.redis.exists(`${keyOf(fx.engine.config, 'session')}:${oldSid}`), 0, 'the old session is gone');
    const ok = await agent
      .post('/send_mock_event')
      .set(albert)
      .type('form')
      .send({ _csrf: csrfOf(second.text), submission_token: submissionOf(second.text, 'send_mock_event'), confirmed: 'yes' })
      .expect(303);
    assert.match(ok.headers.location, /^\/tasks\//);
    const entry = (await listAudit(fx.engine.client.redis, fx.engine.config, { user: 'albert.einstein' })).entries[0];
    assert.equal(entry.outcome, 'accepted');
  });

  test('a session made for a user, then used without the proxy header (anonymous), is dropped; its token no longer works', async () => {
    const agent = request.agent(fx.app);
    const albert = { 'X-Proxy-Remote-User': 'albert.einstein' };
    const home = await agent.get('/').set(albert).expect(200);
    const token = csrfOf(home.text);
    await agent.get('/flower/').expect(200);
    const res = await agent
      .post('/send_mock_event')
      .set(albert)
      .type('form')
      .send({ _csrf: token, submission_token: submissionOf(home.text, 'send_mock_event'), confirmed: 'yes' });
    assert.equal(res.status, 403, 'the anonymous request replaced the session');
  });
});

describe('production behind the TLS proxy', () => {
  let redis: TestRedis;
  let engine: InProcess;
  const app = (env: Record<string, string>) => {
    const config = loadConfig({
      GWQUEUE_ENV: 'production',
      GWQUEUE_SECRET_KEY: 's'.repeat(32),
      REDIS_URL: redis.url,
      GWQUEUE_PREFIX: engine.config.prefix,
      GWQUEUE_LOCAL_USER: 'false',
      GWQUEUE_AUTHORIZED_USERS: 'albert.einstein',
      ...env,
    });
    return createApp({
      config,
      client: engine.client,
      gracedb: createConsoleGraceDb(config, engine.client.redis).gracedb,
      listenHost: '0.0.0.0',
    });
  };
  before(async () => {
    redis = await startRedis();
    engine = await startInProcess({ redis });
  });
  after(async () => {
    await engine?.stop();
    await redis?.stop();
  });

  test('the session cookie is Secure when the trusted proxy says https, not from an untrusted sender; HSTS in production', async () => {
    const albert = { 'X-Proxy-Remote-User': 'albert.einstein' };
    const trusted = app({ GWQUEUE_TRUSTED_PROXIES: '127.0.0.1' });
    const viaTls = await request(trusted)
      .get('/')
      .set({ ...albert, 'X-Forwarded-Proto': 'https' })
      .expect(200);
    assert.match(String(viaTls.headers['set-cookie']), /gwqueue\.sid=.*;\s*Secure/i, 'Secure behind TLS');
    assert.match(String(viaTls.headers['set-cookie']), /HttpOnly/i);
    assert.equal(viaTls.headers['strict-transport-security'], 'max-age=31536000');
    const untrusted = app({ GWQUEUE_TRUSTED_PROXIES: '10.9.9.9' });
    const spoofed = await request(untrusted).get('/').set({ 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9' }).expect(200);
    assert.equal(spoofed.headers['set-cookie'], undefined, 'an untrusted viewer gets no session at all');
    // The client address behind the trusted proxy is what the audit log records; an untrusted X-Forwarded-For is ignored.
    await request(trusted)
      .post('/send_mock_event')
      .set({ 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https', Accept: 'application/json' })
      .type('form')
      .send({})
      .expect(403);
    await request(untrusted)
      .post('/send_mock_event')
      .set({ 'X-Forwarded-For': '203.0.113.8', Accept: 'application/json' })
      .type('form')
      .send({})
      .expect(403);
    const addresses = (await listAudit(engine.client.redis, engine.config, { user: 'anonymous' })).entries.map((e) => e.address);
    assert.ok(addresses.includes('203.0.113.7'), `forwarded address recorded: ${addresses.join(', ')}`);
    assert.ok(!addresses.includes('203.0.113.8'), 'an untrusted X-Forwarded-For is not believed');
  });

  test('one framing policy everywhere: CSP frame-ancestors none and X-Frame-Options DENY; no HSTS outside production', async () => {
    const fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
    try {
      for (const path of ['/', '/flower/', '/no/such/page', '/api/tasks/x', '/healthz', '/static/nope.js']) {
        const res = await request(fx.app).get(path);
        assert.equal(res.headers['x-frame-options'], 'DENY', path);
        assert.match(res.headers['content-security-policy'] ?? '', /frame-ancestors 'none'/, path);
        assert.equal(res.headers['strict-transport-security'], undefined, `${path}: HSTS only in production`);
      }
    } finally {
      await fx.stop();
    }
  });
});

describe('roles: viewer, operator, admin', () => {
  let fx: InProcess;
  before(async () => {
    fx = await startInProcess({
      app: true,
      env: {
        ...CONSOLE_ACCESS,
        GWQUEUE_ADMIN_USERS: 'ada.lovelace',
        GWQUEUE_ADMIN_GROUPS: 'gwqueue-admins',
        GWQUEUE_API_TOKENS: `robot=${API_TOKEN},root:admin=${ADMIN_TOKEN}`,
      },
    });
    const worker = await fx.engine.startWorker({ name: 'roles@test' });
    const failed = await raiseError.delay('a failed task to clean');
    await failed.get({ timeout: 15 }).catch(() => null);
    await worker.stop();
  });
  after(async () => {
    await fx?.stop();
  });
  const failedCount = async () => (await fx.engine.client.queue('celery').getJobCounts('failed')).failed;

  test('API tokens: user=token stays an operator, user:admin=token is an admin; a bad role is a clear error', () => {
    const config = testConfig('redis://127.0.0.1:1', {
      GWQUEUE_API_TOKENS: `a=${API_TOKEN},b:admin=${ADMIN_TOKEN},c:viewer=viewer-token-0123456789`,
    });
    assert.deepEqual(
      [...config.auth.apiTokens.values()],
      [
        { user: 'a', role: 'operator' },
        { user: 'b', role: 'admin' },
        { user: 'c', role: 'viewer' },
      ],
    );
    assert.throws(
      () => testConfig('redis://127.0.0.1:1', { GWQUEUE_API_TOKENS: `x:root=${API_TOKEN}` }),
      (e: unknown) => {
        return e instanceof ConfigError && /GWQUEUE_API_TOKENS.*unknown role "root"/.test(e.message);
      },
    );
  });

  test('/audit is for admins: viewers and operators get 403 and the refusal is audited; admins by user, group or token read it', async () => {
    for (const headers of [{}, { 'X-Proxy-Remote-User': 'albert.einstein' }, { Authorization: `Bearer ${API_TOKEN}` }]) {
      const res = await request(fx.app).get('/audit').set(headers).set('Accept', 'text/html');
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.match(res.text, /for admins only/);
    }
    const refusals = (await listAudit(fx.engine.client.redis, fx.engine.config, { limit: 100 })).entries.filter(
      (e) => e.action === 'GET /audit' && e.outcome === 'unauthorized',
    );
    assert.deepEqual(refusals.map((e) => e.user).sort(), ['albert.einstein', 'anonymous', 'robot']);
    for (const headers of [
      { 'X-Proxy-Remote-User': 'ada.lovelace' },
      { 'X-Proxy-Remote-User': 'grace.hopper', 'X-Proxy-Remote-Groups': 'physics;gwqueue-admins' },
      { Authorization: `Bearer ${ADMIN_TOKEN}` },
    ]) {
      const res = await request(fx.app).get('/audit').set(headers).set('Accept', 'text/html').expect(200);
      assert.match(res.text, /GET \/audit/, 'the refusals are listed');
    }
    const operatorHome = await request(fx.app).get('/').set('X-Proxy-Remote-User', 'albert.einstein').expect(200);
    assert.doesNotMatch(operatorHome.text, /href="\/audit"/, 'no audit link for an operator');
    assert.match((await request(fx.app).get('/').set('X-Proxy-Remote-User', 'ada.lovelace')).text, /href="\/audit"/);
  });

  test('cleaning a queue is for admins: an operator is refused (403, audited, nothing removed); an admin cleans', async () => {
    assert.equal(cleanQueue.role, 'admin');
    assert.equal(purgeQueues.role, 'admin');
    const adminLines = ROUTES.filter((r) => r.who === 'admin').map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(adminLines, ['GET /audit', 'POST /queues/clean', 'POST /queues/:queue/clean']);
    assert.equal(actorRole({ user: 'me', address: 'cli@host', authorized: true, via: 'terminal' }), 'admin', 'a terminal is an admin');
    assert.ok((await failedCount()) > 0);
    const body = { queue: 'celery', state: 'failed', age: '0', confirmed: 'yes' };
    const operator = await browser(fx.app, 'albert.einstein');
    const queues = await operator.agent.get('/flower/queues').set(operator.headers).expect(200);
    assert.doesNotMatch(queues.text, /id="clean-form"/, 'no clean form for an operator');
    assert.match(queues.text, /\/pause"/, 'but pause buttons');
    const refused = await operator.agent
      .post('/flower/queues/clean')
      .set(operator.headers)
      .type('form')
      .send({ ...body, _csrf: csrfOf(queues.text) });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /not allowed to remove old tasks/);
    await request(fx.app)
      .post('/flower/queues/celery/clean')
      .set({ Authorization: `Bearer ${API_TOKEN}` })
      .send(body)
      .expect(403);
    assert.ok((await failedCount()) > 0, 'nothing removed');
    const audit = (await listAudit(fx.engine.client.redis, fx.engine.config, { action: 'queue.clean' })).entries;
    assert.deepEqual(audit.map((e) => [e.user, e.outcome]).sort(), [
      ['albert.einstein', 'unauthorized'],
      ['robot', 'unauthorized'],
    ]);
    const admin = await browser(fx.app, 'ada.lovelace');
    const adminQueues = await admin.agent.get('/flower/queues').set(admin.headers).expect(200);
    assert.match(adminQueues.text, /id="clean-form"/);
    await admin.agent
      .post('/flower/queues/clean')
      .set(admin.headers)
      .type('form')
      .send({ ...body, _csrf: csrfOf(adminQueues.text) })
      .expect(303);
    assert.equal(await failedCount(), 0);
    // Pausing stays an operator's control.
    await request(fx.app)
      .post('/flower/queues/celery/pause')
      .set({ Authorization: `Bearer ${API_TOKEN}` })
      .send({})
      .expect(200);
    await request(fx.app)
      .post('/flower/queues/celery/resume')
      .set({ Authorization: `Bearer ${API_TOKEN}` })
      .send({})
      .expect(200);
  });

  test('infrastructure details and stack traces are for admins: the Redis address, a 500 page’s stack', async () => {
    const redisAddress = fx.redis.url.replace(/^redis:\/\//, '').replace(/\/.*$/, '');
    const operator = await request(fx.app).get('/').set('X-Proxy-Remote-User', 'albert.einstein').expect(200);
    const viewer = await request(fx.app).get('/').expect(200);
    const admin = await request(fx.app).get('/').set('X-Proxy-Remote-User', 'ada.lovelace').expect(200);
    assert.ok(!operator.text.includes(redisAddress) && !viewer.text.includes(redisAddress), 'no Redis address for non-admins');
    assert.ok(admin.text.includes(redisAddress), `the admin sees ${redisAddress}`);
    const handle = await add.delay(1, 1);
    const worker = await fx.engine.startWorker({ name: 'roles2@test' });
    await handle.get({ timeout: 10 });
    await worker.stop();
    await fx.engine.client.redis.hset(keyOf(fx.engine.config, 'celery', handle.id), 'data', '{not json');
    const asAlbert = await request(fx.app).get(`/tasks/${handle.id}`).set('X-Proxy-Remote-User', 'albert.einstein').expect(500);
    assert.doesNotMatch(asAlbert.text, /\n\s+at /, 'no stack for an operator');
    const asAda = await request(fx.app).get(`/tasks/${handle.id}`).set('X-Proxy-Remote-User', 'ada.lovelace').expect(500);
    assert.match(asAda.text, /\n\s+at /, 'the stack for an admin');
  });
});

describe('wrong API tokens are limited per address, across console processes', () => {
  let redis: TestRedis;
  let engines: InProcess[] = [];
  let servers: Server[] = [];
  let urls: string[] = [];
  before(async () => {
    redis = await startRedis();
    const prefix = `t${Date.now().toString(36)}`;
    const env = { GWQUEUE_API_TOKENS: `robot=${API_TOKEN}`, GWQUEUE_PREFIX: prefix, GWQUEUE_TRUSTED_PROXIES: '127.0.0.1' };
    // Two console apps, each with its own Redis connection, sharing one Redis: as `gwqueue web --processes 2` runs.
    for (let i = 0; i < 2; i++) {
      const engine = await startInProcess({ redis, env, app: true });
      const { app } = engine;
      const server = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      engines.push(engine);
      servers.push(server);
      urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });
  after(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    for (const engine of engines) await engine.stop();
    await redis?.stop();
    engines = [];
    servers = [];
    urls = [];
  });

  test('10 wrong tokens get 401, the 11th (at the other process) 429 with Retry-After; a valid token still works; another address is not limited', async () => {
    const wrong = { Authorization: 'Bearer wrong-token-0123456789abcdef', Accept: 'application/json' };
    for (let i = 0; i < 10; i++)
      await request(urls[i % 2])
        .get('/api/tasks/x')
        .set(wrong)
        .expect(401);
    const limited = await request(urls[1]).post('/send_mock_event').set(wrong).send({}).expect(429);
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After: ${limited.headers['retry-after']}`);
    assert.match(limited.body.error, /too many invalid API tokens/);
    await request(urls[0]).get('/api/tasks/x').set(wrong).expect(429);
    for (const url of urls) {
      const ok = await request(url)
        .post('/send_mock_event')
        .set({ Authorization: `Bearer ${API_TOKEN}`, Accept: 'application/json' })
        .send({})
        .expect(202);
      assert.ok(ok.body.id);
    }
    // Another client behind the trusted proxy has its own count.
    await request(urls[0])
      .get('/api/tasks/x')
      .set({ ...wrong, 'X-Forwarded-For': '198.51.100.4' })
      .expect(401);
    const entries = (await listAudit(engines[0].client.redis, engines[0].config, { user: 'anonymous', limit: 100 })).entries;
    const tooMany = entries.filter((e) => /too many invalid API tokens/.test(e.detail));
    assert.equal(tooMany.length, 1, 'the first refusal of the window is audited, not each one');
    assert.equal(tooMany[0].address, '127.0.0.1');
  });
});
