// GWQUEUE_URL_PREFIX in a real Chromium: submit a form, follow to the live task page until completed, open the
// dashboard; every request the browser makes (pages, assets, polling, the form POST) stays under the prefix.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openPage, SHOTS } from '../helpers/chromium.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';

const ROOT = '/gwcelery';

describe('GWQUEUE_URL_PREFIX in Chromium', () => {
  let stack: InProcess;

  before(async () => {
    stack = await startInProcess({
      listen: true,
      env: { GWQUEUE_URL_PREFIX: ROOT, GWQUEUE_LOCAL_USER: 'true' },
      workers: [{ name: 'prefix-browser@test' }],
      services: true,
    });
  });
  after(async () => {
    await stack?.stop();
  });

  test('mock event form → confirm → task page completed → dashboard, with no request outside the prefix', async () => {
    const browser = await stack.browser();
    const { page, errors } = await openPage(browser, { width: 1280, height: 900 });
    const requests: string[] = [];
    const failures: string[] = [];
    page.on('request', (request) => requests.push(`${request.method()} ${request.url()}`));
    page.on('requestfailed', (request) => failures.push(`${request.url()}: ${request.failure()?.errorText}`));
    page.on('response', (response) => {
      if (response.status() >= 400) failures.push(`${response.url()}: ${response.status()}`);
    });

    await page.goto(`${stack.web.url}${ROOT}/`);
    await page.click('#send_mock_event button[type="submit"]');
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    await page.click('#confirm-dialog-ok');
    await page.waitForURL(new RegExp(`${ROOT}/tasks/[0-9a-f-]{36}$`));
    // The live page polls the JSON API (under the prefix) and reloads itself until the chain is done.
    await page.locator('#task-state', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(SHOTS, 'url-prefix-task.png'), fullPage: true });
    await page.click('a.nav-link:has-text("Dashboard")');
    await page.waitForURL(`${stack.web.url}${ROOT}/flower/`);
    await page.locator('h1, .card').first().waitFor();

    const paths = requests.map((line) => {
      const [method, url] = line.split(' ');
      return `${method} ${new URL(url).pathname}`;
    });
    const outside = paths.filter((line) => !line.split(' ')[1].startsWith(`${ROOT}/`));
    assert.deepEqual(outside, [], 'every request stays under the prefix');
    assert.ok(
      paths.some((line) => line === `POST ${ROOT}/send_mock_event`),
      'the form was posted under the prefix',
    );
    assert.ok(
      paths.some((line) => new RegExp(`^GET ${ROOT}/api/tasks/[0-9a-f-]{36}$`).test(line)),
      'the task page polled its API under the prefix',
    );
    assert.ok(
      paths.some((line) => line.startsWith(`GET ${ROOT}/static/`)),
      'assets came from under the prefix',
    );
    assert.deepEqual(failures, [], 'no request failed');
    assert.deepEqual(errors, [], 'no script error or CSP violation');
    await page.close();
  });
});
