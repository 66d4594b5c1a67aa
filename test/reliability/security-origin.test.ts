// Defence in depth beside the CSRF token (real app over HTTP, supertest): a browser's POST from another site is refused even with a valid token; API-token requests are not subject to it; bodies in a charset other than UTF-8 get 415.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, browser, API_TOKEN, type InProcess } from '../helpers/in-process.js';
import { createApp } from '../../src/web/app.js';
import { listAudit } from '../../src/audit/audit-log.js';

const FORM = 'send_mock_event';
const BEARER = { Authorization: `Bearer ${API_TOKEN}`, Accept: 'application/json' };

describe("security: a browser's POST must come from the console's own pages", () => {
  let fx: InProcess;
  before(async () => {
    fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
  });
  after(async () => {
    await fx?.stop();
  });

  /** A signed-in operator's session with a valid CSRF token; `post` sends the mock-event form with extra headers. */
  async function operator() {
    const { agent, headers, tokens } = await browser(fx.app);
    const t = await tokens(FORM);
    assert.ok(t.csrf && t.submission);
    const post = (extra: Record<string, string>, submission = t.submission) =>
      agent
        .post(`/${FORM}`)
        .set({ ...headers, ...extra })
        .type('form')
        .send({ _csrf: t.csrf, submission_token: submission, confirmed: 'yes' });
    return { post, tokens: () => tokens(FORM) };
  }

  test('from another site, with a valid CSRF token and session: 403 saying why, nothing enqueued, audited', async () => {
    const { post } = await operator();
    const before = await fx.jobCount();
    const cases: [Record<string, string>, RegExp][] = [
      [{ Origin: 'http://attacker.invalid' }, /came from http:\/\/attacker\.invalid, not from the console's own pages/],
      [{ 'Sec-Fetch-Site': 'cross-site' }, /your browser says this request came from another site \(Sec-Fetch-Site: cross-site\)/],
      [{ 'Sec-Fetch-Site': 'same-site', Origin: 'http://other.console.example' }, /Sec-Fetch-Site: same-site/],
      [{ Origin: 'null' }, /came from null/],
      [{ Origin: 'null', 'Sec-Fetch-Site': 'cross-site' }, /Sec-Fetch-Site: cross-site/],
      // The same host on another scheme or port is another origin.
      [
        { Origin: 'https://console.example:8443', Host: 'console.example:8443' },
        /came from https:\/\/console\.example:8443, not .*\(http:\/\/console\.example:8443\)/,
      ],
      [{ Origin: 'http://console.example:8444', Host: 'console.example:8443' }, /came from http:\/\/console\.example:8444/],
    ];
    for (const [headers, reason] of cases) {
      const res = await post({ ...headers, Accept: 'application/json' });
      assert.equal(res.status, 403, `${JSON.stringify(headers)}: ${res.text}`);
      assert.match(res.body.error, reason);
      assert.match(res.body.error, /Nothing was done/);
    }
    const page = await post({ Origin: 'http://attacker.invalid' });
    assert.equal(page.status, 403);
    assert.match(page.text, /only from its own pages/, 'a browser gets the reason on the error page');
    assert.equal(await fx.jobCount(), before, 'nothing enqueued');
    const { entries } = await listAudit(fx.engine.client.redis, fx.engine.config, { user: 'albert.einstein', limit: 50 });
    const refused = entries.filter((entry) => entry.detail.startsWith('cross-site request refused'));
    assert.equal(refused.length, cases.length + 1);
    assert.ok(refused.every((entry) => entry.outcome === 'rejected' && entry.action === `form.${FORM}`));
  });

  test("from the console's own origin (Host, or X-Forwarded-Host/-Proto from the trusted proxy) the form is accepted", async () => {
    const { post, tokens } = await operator();
    const accepted: Record<string, string>[] = [
      { Origin: 'http://console.example:8443', Host: 'console.example:8443', 'Sec-Fetch-Site': 'same-origin' },
      { Origin: 'HTTP://Console.Example:80', Host: 'console.example' },
      // The fixture's proxy (127.0.0.1) is trusted: it says the browser reached https://gw.example.org.
      { Origin: 'https://gw.example.org', 'X-Forwarded-Host': 'gw.example.org', 'X-Forwarded-Proto': 'https' },
      // Without Origin or Sec-Fetch-Site (an old browser, a script with a session) only the CSRF token counts.
      {},
      { 'Sec-Fetch-Site': 'none' },
      // A browser's own form under a no-referrer policy: Origin null, and the browser says same-origin.
      { Origin: 'null', 'Sec-Fetch-Site': 'same-origin' },
    ];
    for (const headers of accepted) {
      const before = await fx.jobCount();
      const res = await post(headers, (await tokens()).submission);
      assert.equal(res.status, 303, `${JSON.stringify(headers)}: ${res.status} ${res.text.slice(0, 300)}`);
      assert.ok((await fx.jobCount()) > before, JSON.stringify(headers));
    }
    const wrongScheme = await post({ Origin: 'http://gw.example.org', 'X-Forwarded-Host': 'gw.example.org', 'X-Forwarded-Proto': 'https' });
    assert.equal(wrongScheme.status, 403);
  });

  test('an API-token request is not subject to it, whatever Origin or Sec-Fetch-Site it carries', async () => {
    const before = await fx.jobCount();
    const res = await request(fx.app)
      .post(`/${FORM}`)
      .set({ ...BEARER, Origin: 'http://attacker.invalid', 'Sec-Fetch-Site': 'cross-site' })
      .type('form')
      .send({});
    assert.equal(res.status, 202, res.text);
    assert.ok((await fx.jobCount()) > before);
  });

  test('GWQUEUE_ALLOWED_ORIGINS: a proxy that rewrites Host without X-Forwarded-Host', async () => {
    const config = { ...fx.engine.config, auth: { ...fx.engine.config.auth, allowedOrigins: ['https://public.example.org'] } };
    const app = createApp({ config, client: fx.engine.client, gracedb: fx.gracedb, listenHost: '127.0.0.1' });
    const { agent, headers, tokens } = await browser(app);
    const post = async (origin: string) => {
      const t = await tokens(FORM);
      return agent
        .post(`/${FORM}`)
        .set({ ...headers, Origin: origin, Host: 'backend.internal:5000' })
        .type('form')
        .send({ _csrf: t.csrf, submission_token: t.submission, confirmed: 'yes' });
    };
    assert.equal((await post('https://public.example.org')).status, 303);
    assert.equal((await post('https://elsewhere.example.org')).status, 403);
  });

  test('a malformed Idempotency-Key from a browser session is refused too (400), not ignored', async () => {
    const { post } = await operator();
    const before = await fx.jobCount();
    const res = await post({ 'Idempotency-Key': 'two words', Accept: 'application/json' });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.field, 'Idempotency-Key');
    assert.equal(await fx.jobCount(), before);
  });
});

describe('security: request bodies are UTF-8', () => {
  let fx: InProcess;
  before(async () => {
    fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
  });
  after(async () => {
    await fx?.stop();
  });

  test('a body declaring another charset gets 415 saying so, from a token or a browser; nothing enqueued', async () => {
    const before = await fx.jobCount();
    const declared = [
      'application/x-www-form-urlencoded; charset=utf-7',
      'application/x-www-form-urlencoded; charset="UTF-7"',
      'application/x-www-form-urlencoded;charset=iso-8859-1',
      'application/json; charset=utf-16le',
      'application/json; charset=utf-7',
      'application/x-www-form-urlencoded; charset=us-ascii',
    ];
    for (const type of declared) {
      const body = type.includes('json') ? '{"confirmed":"yes"}' : 'confirmed=yes';
      const res = await request(fx.app).post(`/${FORM}`).set(BEARER).set('Content-Type', type).send(body);
      assert.equal(res.status, 415, `${type}: ${res.text}`);
      assert.match(res.body.error, /declares charset=[a-z0-9-]+; this console reads request bodies as UTF-8 only/);
      assert.equal(res.body.field, 'Content-Type');
    }
    const { agent, headers, tokens } = await browser(fx.app);
    const t = await tokens(FORM);
    const page = await agent
      .post(`/${FORM}`)
      .set(headers)
      .set('Content-Type', 'application/x-www-form-urlencoded; charset=utf-7')
      .send(`_csrf=${t.csrf}&submission_token=${t.submission}&confirmed=yes`);
    assert.equal(page.status, 415);
    assert.match(page.text, /reads request bodies as UTF-8 only/);
    assert.equal(await fx.jobCount(), before, 'nothing enqueued');
  });

  test('UTF-8 or no charset is read as before', async () => {
    for (const type of [
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=UTF-8',
      'application/x-www-form-urlencoded; charset="utf-8"',
      'application/json; charset=utf-8',
    ]) {
      const body = type.includes('json') ? '{"confirmed":"yes"}' : 'confirmed=yes';
      const res = await request(fx.app).post(`/${FORM}`).set(BEARER).set('Content-Type', type).send(body);
      assert.equal(res.status, 202, `${type}: ${res.text}`);
    }
  });
});
