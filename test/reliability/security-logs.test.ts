// No session ID, cookie, API token, CSRF or submission token in any log line of the real console process (`gwqueue web`, debug level, log file and terminal).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { startProcesses, type ConsoleProcess, type Processes } from '../helpers/real-processes.js';
import { auditKey } from '../../src/redis/keys.js';

const API_TOKEN = 'tok-security-logs-0123456789abcdef';
const WRONG_TOKEN = 'tok-security-logs-0123456789abcdeX';
const SECRET_KEY = 'sk-security-logs-fedcba9876543210';

interface Session {
  cookie: string;
  csrf: string;
  submission: string;
  /** Every form of the session's secrets a careless log line could hold. */
  secrets: string[];
}

describe('security: secrets never reach the logs', () => {
  let engine: Processes;
  let web: ConsoleProcess;
  let dir: string;
  const secrets = new Set<string>([API_TOKEN, WRONG_TOKEN, SECRET_KEY]);

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-seclogs-'));
    const consoleSettings = {
      GWQUEUE_LOG_LEVEL: 'debug',
      GWQUEUE_LOG_FILE: 'true',
      GWQUEUE_LOG_CONSOLE: 'true',
      GWQUEUE_LOG_DIR: dir,
      GWQUEUE_SECRET_KEY: SECRET_KEY,
      // An admin's token: the 500 below comes from /audit, which is for admins.
      GWQUEUE_API_TOKENS: `robot:admin=${API_TOKEN}`,
      GWQUEUE_TRUSTED_PROXIES: '127.0.0.1',
      GWQUEUE_AUTHORIZED_USERS: 'albert.einstein',
      GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '0',
      SENTRY_DSN: '',
      GRACEDB_URL: '',
    };
    engine = await startProcesses({ web: { env: consoleSettings } });
    web = engine.web;
  });
  after(async () => {
    await web?.stop();
    await engine?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const send = (pathname: string, init: { method?: string; headers?: Record<string, string>; form?: Record<string, string> } = {}) =>
    fetch(`${web.url}${pathname}`, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers: { ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...init.headers },
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
      redirect: 'manual',
    });

  /** A browser session as albert.einstein: its cookie (signed and raw sid), CSRF token and a submission token. */
  async function session(): Promise<Session> {
    const res = await send('/', { headers: { 'X-Proxy-Remote-User': 'albert.einstein' } });
    assert.equal(res.status, 200);
    const html = await res.text();
    const encoded = /gwqueue\.sid=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    assert.ok(encoded, 'a session cookie');
    const signed = decodeURIComponent(encoded);
    const [sid, signature] = signed.replace(/^s:/, '').split('.');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const submission = /name="submission_token" value="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.ok(sid.length >= 20 && signature && csrf.length >= 20 && submission.length >= 16, 'tokens found');
    const all = [encoded, signed, sid, signature, csrf, submission];
    for (const secret of all) secrets.add(secret);
    return { cookie: `gwqueue.sid=${encoded}`, csrf, submission, secrets: all };
  }

  test('requests carrying every kind of secret, and errors (401, 403, 404, 422, 500), leave them out of every log line', async () => {
    const a = await session();
    const b = await session();
    const albert = (s: Session, extra: Record<string, string> = {}) => ({
      'X-Proxy-Remote-User': 'albert.einstein',
      Cookie: s.cookie,
      ...extra,
    });
    const bearer = { Authorization: `Bearer ${API_TOKEN}`, Accept: 'application/json' };
    const expect = async (status: number, res: Promise<Response>) => assert.equal((await res).status, status);
    // 422: invalid input, from a browser session and from a script.
    await expect(
      422,
      send('/send_preliminary_gcn', {
        headers: albert(a),
        form: { superevent_id: a.csrf, event_id: 'x', _csrf: a.csrf, submission_token: a.submission, confirmed: 'yes' },
      }),
    );
    await expect(422, send('/send_preliminary_gcn', { headers: bearer, form: { superevent_id: API_TOKEN } }));
    // 403: cross-site without a token, another session's token (body and header), an anonymous user.
    await expect(
      403,
      send('/send_mock_event', {
        headers: albert(a, { Origin: 'http://attacker.invalid' }),
        form: { submission_token: a.submission, confirmed: 'yes' },
      }),
    );
    await expect(
      403,
      send('/send_mock_event', { headers: albert(b), form: { _csrf: a.csrf, submission_token: b.submission, confirmed: 'yes' } }),
    );
    await expect(403, send('/flower/queues/celery/pause', { headers: albert(a, { 'X-CSRF-Token': b.csrf }), form: { confirmed: 'yes' } }));
    // (A session of its own: used without the proxy's user, a session is replaced, so a's would be gone.)
    const c = await session();
    await expect(
      403,
      send('/send_mock_event', {
        headers: { Cookie: c.cookie },
        form: { _csrf: c.csrf, submission_token: c.submission, confirmed: 'yes' },
      }),
    );
    // 401: a wrong API token (one character off the right one).
    await expect(401, send('/send_mock_event', { headers: { Authorization: `Bearer ${WRONG_TOKEN}` }, form: {} }));
    // 404: secrets in the URL too.
    await expect(404, send(`/tasks/${a.csrf}?token=${API_TOKEN}`, { headers: albert(a) }));
    await expect(404, send(`/api/tasks/${b.submission}`, { headers: bearer }));
    // Accepted: a session submission and a scripted one.
    await expect(
      303,
      send('/send_mock_event', { headers: albert(a), form: { _csrf: a.csrf, submission_token: a.submission, confirmed: 'yes' } }),
    );
    await expect(202, send('/send_mock_event', { headers: bearer, form: {} }));
    // 500: the audit log is broken, so requests fail inside the handlers and are logged with their stacks.
    await engine.client.redis.set(auditKey(engine.config), 'not a stream');
    try {
      await expect(500, send(`/audit?user=${b.csrf}`, { headers: { ...albert(b), Authorization: `Bearer ${API_TOKEN}` } }));
      // (A refused one: once a chain is queued, the action pipeline answers 303 whatever fails afterwards.)
      await expect(
        500,
        send('/send_preliminary_gcn', {
          headers: albert(b),
          form: { superevent_id: b.csrf, event_id: 'x', _csrf: b.csrf, submission_token: b.submission, confirmed: 'yes' },
        }),
      );
      await expect(500, send('/send_mock_event', { headers: { ...bearer, 'Idempotency-Key': a.submission }, form: {} }));
    } finally {
      await engine.client.redis.del(auditKey(engine.config));
    }

    const logFiles = () => readdirSync(dir).map((name) => path.join(dir, name));
    const text = () =>
      logFiles()
        .map((file) => readFileSync(file, 'utf8'))
        .join('');
    const messages = () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { msg: string; level: number; path?: string });
    // The errors were logged (so the scan below has something to scan), to the file, as JSON lines.
    await eventually(() => messages().filter((m) => m.msg === 'request failed').length >= 3, 10_000, 'the 500s in the log file');
    await web.stop();
    const lines = messages();
    const refusals = ['CSRF check failed', 'cross-site request refused'];
    assert.ok(lines.filter((m) => refusals.includes(m.msg) && m.level === 40).length >= 3, 'the CSRF and cross-site refusals are logged');
    assert.ok(
      lines.some((m) => m.msg === 'invalid API token' && m.level === 40 && m.path === '/send_mock_event'),
      'the wrong token is logged, without itself',
    );
    assert.deepEqual(
      lines
        .filter((m) => m.msg === 'request failed')
        .map((m) => m.path)
        .sort(),
      ['/audit', '/send_mock_event', '/send_preliminary_gcn'],
    );
    assert.deepEqual(
      logFiles().map((file) => path.basename(file)),
      ['gwqueue-web.log'],
    );
    const sources: [string, string][] = [
      ['the log file', text()],
      ['the terminal output', web.output()],
    ];
    assert.match(web.output(), /"msg":"request failed"/, 'the terminal got the lines too');
    for (const [where, content] of sources) {
      for (const secret of secrets) assert.ok(!content.includes(secret), `${where} contains the secret ${secret}`);
      assert.doesNotMatch(content, /gwqueue\.sid=(?!\[redacted\])/, `${where}: a session cookie`);
      assert.doesNotMatch(content, /Bearer (?!\[redacted\])/, `${where}: a bearer token`);
    }
    assert.ok(secrets.size >= 15, 'every secret was collected');
  });
});
