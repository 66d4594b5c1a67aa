// GWQUEUE_URL_PREFIX over HTTP against a real console and worker: every GET line of the URL table answers under the
// prefix and 404 without it; links, assets, form actions and typeahead addresses in pages keep it; a form POST and a
// dashboard control redirect under it; the session cookie is scoped to it; `gwqueue web` prints and serves the prefix.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { startConsoleProcess } from '../helpers/real-processes.js';
import { ROUTES, fullPath } from '../../src/web/routes.js';
import { add } from '../../src/tasks/core.js';
import { loadConfig } from '../../src/config/index.js';

const ROOT = '/gwcelery';
const USER = { 'X-Proxy-Remote-User': 'ada.admin' };

/** Every root-relative address in a page: href, src, action and the data-* addresses its script uses. */
function addresses(html: string): string[] {
  return [...html.matchAll(/\s(?:href|src|action|data-[a-z-]*(?:url|api|typeahead))="(\/[^"]*)"/g)].map((match) => match[1]);
}

describe('GWQUEUE_URL_PREFIX=/gwcelery (over HTTP)', () => {
  let stack: InProcess;
  let origin: string;
  let taskId: string;
  let cookie = '';

  /** A browser-like request: sends and keeps the session cookie, never follows redirects. */
  async function call(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(origin + path, {
      redirect: 'manual',
      ...init,
      headers: { ...USER, ...(cookie ? { Cookie: cookie } : {}), ...(init.headers as Record<string, string>) },
    });
    const set = response.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0];
    return response;
  }

  before(async () => {
    stack = await startInProcess({
      listen: true,
      env: {
        GWQUEUE_URL_PREFIX: `${ROOT}/`,
        GWQUEUE_TRUSTED_PROXIES: '127.0.0.1',
        GWQUEUE_ADMIN_USERS: 'ada.admin',
      },
      workers: [{ name: 'prefix@test' }],
      services: true,
    });
    origin = stack.web.url;
    const result = await add.delay(20, 22);
    taskId = result.id;
    assert.equal(await result.get({ timeout: 20 }), 42);
  });
  after(async () => {
    await stack?.stop();
  });

  test('the setting is read without its trailing slash; anything but plain path segments is refused at start', () => {
    assert.equal(stack.engine.config.web.urlPrefix, ROOT);
    assert.equal(loadConfig({ GWQUEUE_ENV: 'test', GWQUEUE_URL_PREFIX: '/' }).web.urlPrefix, '');
    assert.equal(loadConfig({ GWQUEUE_ENV: 'test', GWQUEUE_URL_PREFIX: '/ops/gwcelery' }).web.urlPrefix, '/ops/gwcelery');
    for (const bad of ['gwcelery', '//evil.example', '/a b', '/../x', '/x?y', '/%2e']) {
      assert.throws(() => loadConfig({ GWQUEUE_ENV: 'test', GWQUEUE_URL_PREFIX: bad }), /GWQUEUE_URL_PREFIX.*must be a path/, bad);
    }
  });

  test('gwqueue web (a real process) prints its address with the prefix and serves the console there only', async () => {
    const web = await startConsoleProcess({
      REDIS_URL: stack.redis.url,
      GWQUEUE_PREFIX: stack.engine.config.prefix,
      GWQUEUE_URL_PREFIX: ROOT,
    });
    try {
      assert.equal(new URL(web.url).pathname, ROOT, web.output());
      const home = await fetch(`${web.url}/`);
      assert.equal(home.status, 200);
      assert.match(await home.text(), new RegExp(`action="${ROOT}/send_mock_event"`));
      assert.equal((await fetch(`${new URL(web.url).origin}/`)).status, 404);
    } finally {
      await web.stop();
    }
  });

  test('every GET line of the URL table answers under the prefix, and is a 404 without it', async () => {
    const gets = ROUTES.filter((route) => route.method === 'GET');
    assert.ok(gets.length >= 25, `${gets.length} GET lines`);
    for (const route of gets) {
      const path = fullPath(route, '/flower').replace(':id', taskId).replace(':name', encodeURIComponent('prefix@test'));
      const under = await call(ROOT + path);
      const body = await under.text();
      if (route.path === '/api/tasks/:id/file') {
        // The line's own answer (this task's result is a number, not a file), not the "no such page" one.
        assert.equal(under.status, 404, path);
        assert.match(body, /has no file to download/, path);
      } else if (route.path.startsWith('/gracedb/') && route.path.includes('/:')) {
        // An embedded GraceDB record page: this ID names no record (the line's own 404, not "no such page").
        assert.equal(under.status, 404, path);
        assert.match(body, /There is no (superevent|event) /, path);
      } else if (route.area === 'dashboard' && route.path === '/tasks/:id') {
        assert.equal(under.status, 302, path);
        assert.equal(under.headers.get('location'), `${ROOT}/tasks/${taskId}`, 'the redirect to the task page keeps the prefix');
      } else {
        assert.equal(under.status, 200, `${ROOT}${path}: ${body.slice(0, 300)}`);
      }
      const outside = await call(path);
      assert.equal(outside.status, 404, `${path} without the prefix`);
      await outside.text();
    }
  });

  test('links, assets, forms and script addresses in every page start with the prefix', async () => {
    const pages = [
      '/',
      `/tasks/${taskId}`,
      '/audit',
      '/flower/',
      '/flower/tasks',
      '/flower/queues',
      '/flower/history',
      `/flower/workers/${encodeURIComponent('prefix@test')}`,
      '/flower/host/',
      '/no-such-page',
    ];
    const seen = new Set<string>();
    for (const page of pages) {
      const response = await call(ROOT + page);
      const html = await response.text();
      const found = addresses(html);
      assert.ok(found.length > 3, `${page} has links`);
      for (const address of found) {
        assert.ok(address === ROOT || address.startsWith(`${ROOT}/`), `${page}: ${address} is outside ${ROOT}`);
        seen.add(address.replace(/[?#].*$/, ''));
      }
    }
    // The assets and addresses the pages name are really served there.
    for (const asset of [...seen].filter((address) => address.includes('/static/'))) {
      assert.equal((await call(asset)).status, 200, asset);
    }
    for (const expected of [
      `${ROOT}/send_mock_event`,
      `${ROOT}/typeahead_superevent_id`,
      `${ROOT}/api/tasks/${taskId}`,
      `${ROOT}/flower/`,
    ]) {
      assert.ok(seen.has(expected), `pages name ${expected}`);
    }
  });

  test('a form POST redirects to the task page under the prefix; the session cookie is scoped to it', async () => {
    cookie = '';
    const home = await call(`${ROOT}/`);
    assert.match(home.headers.get('set-cookie') ?? '', new RegExp(`Path=${ROOT}(;|$)`, 'i'));
    const html = await home.text();
    const form = html.slice(html.indexOf(`action="${ROOT}/send_mock_event"`));
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form)![1];
    const submission = /name="submission_token" value="([^"]+)"/.exec(form)![1];
    const posted = await call(`${ROOT}/send_mock_event`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, submission_token: submission, confirmed: 'yes' }).toString(),
    });
    assert.equal(posted.status, 303, await posted.text());
    const location = posted.headers.get('location') ?? '';
    assert.match(location, new RegExp(`^${ROOT}/tasks/[0-9a-f-]{36}$`));
    const page = await call(location);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Queued a mock event/, 'the flash message reached the page: the session cookie came back');
    const api = await eventually(async () => {
      const answer = (await (await call(`${location.replace('/tasks/', '/api/tasks/')}?wait=5`)).json()) as { state: string; url: string };
      return answer.state === 'completed' ? answer : undefined;
    }, 30_000);
    assert.equal(api.url, location, "the JSON API's link keeps the prefix");
  });

  test('a dashboard control redirects back under the prefix', async () => {
    const page = await call(`${ROOT}/flower/queues`);
    const html = await page.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1];
    const paused = await call(`${ROOT}/flower/queues/celery/pause`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, confirmed: 'yes' }).toString(),
    });
    assert.equal(paused.status, 303, await paused.text());
    assert.equal(paused.headers.get('location'), `${ROOT}/flower/queues`);
    const resumed = await call(`${ROOT}/flower/queues/celery/resume`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Referer: `${origin}${ROOT}/flower/queues` },
      body: new URLSearchParams({ _csrf: csrf, back: `${ROOT}/flower/queues?x=1` }).toString(),
    });
    assert.equal(resumed.status, 303);
    assert.equal(resumed.headers.get('location'), `${ROOT}/flower/queues?x=1`, 'a back address already under the prefix is kept as it is');
  });
});
