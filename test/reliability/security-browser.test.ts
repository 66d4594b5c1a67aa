// Security in real headless Chromium: the CSP blocks injected inline and foreign scripts (and reports them), framing is refused, a cross-site form post is refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage } from '../helpers/chromium.js';
import { startInProcess, CONSOLE_ACCESS, type InProcess } from '../helpers/in-process.js';
import { raiseError } from '../../src/tasks/core.js';

interface Violation {
  directive: string;
  blocked: string;
}

/** A page on another site (127.0.0.2): a script that counts its loads, an attacker page, a framing page, a blank page. */
function startOtherOrigin(target: () => string) {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const html = (body: string) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><html><body>${body}</body></html>`);
    if (req.url === '/x.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end('window.__foreign = true;');
    if (req.url?.startsWith('/attack.html')) {
      const params = new URL(req.url, 'http://x').searchParams;
      // A CSRF token the attacker somehow obtained (the victim's own, in the test): the Origin check still refuses.
      const csrf = params.get('csrf') ? `<input name="_csrf" value="${params.get('csrf')}">` : '';
      return html(
        `<form id="f" method="post" action="${target()}/${params.get('form')}"><input name="confirmed" value="yes"><input name="submission_token" value="attacker-token-0123456789">${csrf}</form><script>document.getElementById('f').submit()</script>`,
      );
    }
    if (req.url === '/frame.html') return html(`<iframe id="victim" src="${target()}/"></iframe>`);
    return html('<p>blank</p>');
  });
  return new Promise<{ url: string; hits: string[]; server: http.Server }>((resolve) => {
    server.listen(0, '127.0.0.2', () => resolve({ url: `http://127.0.0.2:${(server.address() as AddressInfo).port}`, hits, server }));
  });
}

/** Records every CSP violation the page reports, from before its first script runs. */
async function watchViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __violations: Violation[] };
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (event) =>
      w.__violations.push({ directive: event.violatedDirective, blocked: event.blockedURI }),
    );
  });
}

/** Injects what an XSS would: an inline script, a script from another origin, an inline handler; says what ran. */
function inject(page: Page, foreignSrc: string) {
  return page.evaluate(async (src) => {
    const w = window as unknown as Record<string, unknown>;
    const inline = document.createElement('script');
    inline.textContent = 'window.__inline = true;';
    document.body.append(inline);
    const foreign = document.createElement('script');
    foreign.src = src;
    const loaded = await new Promise<string>((resolve) => {
      foreign.addEventListener('load', () => resolve('load'));
      foreign.addEventListener('error', () => resolve('error'));
      document.body.append(foreign);
    });
    const button = document.createElement('button');
    button.setAttribute('onclick', 'window.__handler = true;');
    document.body.append(button);
    button.click();
    return { inline: w.__inline === true, foreign: w.__foreign === true, handler: w.__handler === true, loaded };
  }, foreignSrc);
}

describe('security in Chromium', () => {
  let fx: InProcess;
  let web: http.Server;
  let base: string;
  let other: Awaited<ReturnType<typeof startOtherOrigin>>;
  let chromium: Browser;
  let taskId: string;

  before(async () => {
    // The development set-up: the local user may submit (no proxy), so only the Origin and CSRF checks stand in an
    // attacker's way.
    fx = await startInProcess({ app: true, env: { ...CONSOLE_ACCESS, GWQUEUE_LOCAL_USER: 'true', GWQUEUE_TRUSTED_PROXIES: '' } });
    taskId = (await raiseError.delay('a task page to attack')).id;
    web = http.createServer(fx.app);
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    other = await startOtherOrigin(() => base);
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    other?.server.close();
    web?.closeAllConnections();
    await new Promise((resolve) => (web ? web.close(resolve) : resolve(undefined)));
    await fx?.stop();
  });

  test('the injection works where there is no CSP (control): inline, foreign and handler scripts all run', async () => {
    const { page } = await openPage(chromium, { width: 1000, height: 700 });
    await page.goto(`${other.url}/blank.html`);
    const before = other.hits.filter((h) => h === '/x.js').length;
    assert.deepEqual(await inject(page, `${other.url}/x.js`), { inline: true, foreign: true, handler: true, loaded: 'load' });
    assert.equal(other.hits.filter((h) => h === '/x.js').length, before + 1);
    await page.close();
  });

  for (const path of ['/', '/flower/', '/audit', '/tasks/TASK', '/no/such/page']) {
    test(`${path}: the page loads without a CSP violation; injected inline/foreign/handler scripts are blocked and reported`, async () => {
      const { page, errors } = await openPage(chromium, { width: 1000, height: 700 });
      await watchViolations(page);
      const response = await page.goto(`${base}${path.replace('TASK', taskId)}`);
      assert.equal(response?.status(), path === '/no/such/page' ? 404 : 200);
      await page.waitForLoadState('load');
      assert.deepEqual(
        await page.evaluate(() => (window as unknown as { __violations: Violation[] }).__violations),
        [],
        'the app itself breaks no rule',
      );
      const before = other.hits.filter((h) => h === '/x.js').length;
      const ran = await inject(page, `${other.url}/x.js`);
      assert.deepEqual(ran, { inline: false, foreign: false, handler: false, loaded: 'error' }, 'nothing injected ran');
      assert.equal(other.hits.filter((h) => h === '/x.js').length, before, 'the foreign script was never even requested');
      await page.waitForFunction(() => (window as unknown as { __violations: Violation[] }).__violations.length >= 3);
      const violations = await page.evaluate(() => (window as unknown as { __violations: Violation[] }).__violations);
      assert.ok(
        violations.every((v) => v.directive.startsWith('script-src')),
        JSON.stringify(violations),
      );
      assert.ok(
        violations.some((v) => v.blocked === 'inline' && v.directive === 'script-src-elem'),
        `inline script: ${JSON.stringify(violations)}`,
      );
      assert.ok(
        violations.some((v) => v.blocked === 'inline' && v.directive === 'script-src-attr'),
        `inline handler: ${JSON.stringify(violations)}`,
      );
      assert.ok(
        violations.some((v) => v.blocked.startsWith(other.url)),
        `foreign script: ${JSON.stringify(violations)}`,
      );
      assert.ok(
        errors.some((e) => /Content Security Policy/.test(e)),
        'Chromium reports the refusals on the console',
      );
      await page.close();
    });
  }

  test("another site cannot frame the console (frame-ancestors 'none')", async () => {
    const { page } = await openPage(chromium, { width: 1000, height: 700 });
    const framed = page.waitForResponse((r) => r.url() === `${base}/`);
    await page.goto(`${other.url}/frame.html`);
    assert.equal((await framed).status(), 200, 'the console answered the frame request');
    await page.waitForLoadState('load');
    const frame = page.frames().find((f) => f !== page.mainFrame());
    assert.ok(frame, 'the iframe exists');
    const content = await frame.content();
    assert.doesNotMatch(content, /DANGER ZONE|gwqueue/, 'the console is not shown inside another site');
    assert.match(frame.url(), /^chrome-error:|^about:blank/, `the frame shows Chromium's blocked page, not ${frame.url()}`);
    await page.close();
  });

  test("a cross-site form post from an attacker page is refused (403) and enqueues nothing; the console's own form works", async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/`);
    assert.match(await page.locator('body').innerText(), /may submit/, 'the local user may submit');
    assert.ok(
      (await context.cookies(base)).some((c) => c.name === 'gwqueue.sid'),
      'the victim has a session',
    );
    const before = await fx.jobCount();
    const victimToken = await page.locator('#send_mock_event input[name="_csrf"]').getAttribute('value');
    assert.ok(victimToken, "the victim's page has a CSRF token");
    for (const form of ['send_mock_event', 'send_mock_joint_event']) {
      for (const csrf of ['', victimToken]) {
        const refused = page.waitForResponse((r) => r.url() === `${base}/${form}` && r.request().method() === 'POST');
        await page.goto(`${other.url}/attack.html?form=${form}&csrf=${encodeURIComponent(csrf)}`);
        const response = await refused;
        assert.equal(response.status(), 403, `${form}, ${csrf ? "the victim's" : 'no'} CSRF token`);
        // Chromium says where the post came from (Sec-Fetch-Site: cross-site, Origin): refused before the token is read.
        assert.equal(await response.request().headerValue('sec-fetch-site'), 'cross-site');
        await page.waitForURL(`${base}/${form}`);
        assert.match(await page.locator('body').innerText(), /this request came from another site \(Sec-Fetch-Site: cross-site\)/);
      }
    }
    assert.equal(await fx.jobCount(), before, 'the attack enqueued nothing');
    await page.goto(`${base}/`);
    const own = page.waitForRequest((r) => r.url() === `${base}/send_mock_event` && r.method() === 'POST');
    await page.click('#send_mock_event button[type="submit"]');
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    await page.click('#confirm-dialog-ok');
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    assert.equal(await (await own).headerValue('origin'), base, 'the own form names its origin, which is checked');
    assert.ok((await fx.jobCount()) > before, "the operator's own submission went through");
    await context.close();
  });
});
