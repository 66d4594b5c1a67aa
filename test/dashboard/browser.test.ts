// The dashboard in a real headless Chromium: a task finishing shows up without a reload, charts draw, the cancel dialog works; screenshots at 1280 and 390 px.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openPage, SHOTS } from '../helpers/chromium.js';
import { startInProcess, type InProcess, type Engine } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import type { WebServer } from '../../src/web/server.js';
import { add, raiseError, sleep } from '../../src/tasks/core.js';
import { sampleMinute } from '../../src/history/history-counters.js';

/** A dashboard page at the given width that records script errors and CSP violations. */
function openDashboardPage(browser: Browser, width: number): Promise<{ page: Page; errors: string[] }> {
  return openPage(browser, { width, height: 900 });
}

describe('dashboard in Chromium', () => {
  let stack: InProcess;
  let engine: Engine;
  let web: WebServer;
  let browser: Browser;

  before(async () => {
    stack = await startInProcess({
      listen: true,
      env: { GWQUEUE_LOCAL_USER: 'true' },
      workers: [{ name: 'alpha@gw-host-1' }, { name: 'beta@gw-host-2', concurrency: 2 }],
      async prepare(started) {
        // Some history and some failures to look at.
        const handles = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            i % 6 === 5 ? raiseError.delay(`GraceDB answered 503 for S2401${String(i).padStart(2, '0')}a`) : add.delay(i, 1),
          ),
        );
        await Promise.all(handles.map((handle) => handle.get({ timeout: 10 }).catch(() => null)));
        await sampleMinute(started.client.redis, started.config); // queue depth and workers online, as the minute sampler records them
      },
    });
    ({ engine, web } = stack);
    browser = await stack.browser();
  });
  after(async () => {
    await stack?.stop();
  });

  test('a task that finishes shows up on the Tasks page without a reload', async () => {
    const { page, errors } = await openDashboardPage(browser, 1280);
    await page.goto(`${web.url}/flower/tasks`);
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));
    const handle = await sleep.delay(1);
    const row = page.locator(`tr[data-task-id="${handle.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    await page.locator(`tr[data-task-id="${handle.id}"][data-state="completed"]`).waitFor({ timeout: 15_000 });
    assert.equal(
      await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded),
      true,
      'updated in place, not reloaded',
    );
    assert.match(await page.locator('#flower-live-status').innerText(), /live/);
    await page.screenshot({ path: path.join(SHOTS, 'flower-tasks.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no script errors, no CSP violations');
    await page.close();
  });

  test('every section renders at 1280 px, history charts draw, and nothing breaks the CSP', async () => {
    const { page, errors } = await openDashboardPage(browser, 1280);
    await page.goto(`${web.url}/flower/`);
    assert.equal(await page.locator('#worker-table tbody tr[data-status="online"]').count(), 2);
    await page.screenshot({ path: path.join(SHOTS, 'flower-workers.png'), fullPage: true });
    await page.goto(`${web.url}/flower/workers/${encodeURIComponent('alpha@gw-host-1')}`);
    await page.screenshot({ path: path.join(SHOTS, 'flower-worker.png'), fullPage: true });
    await page.goto(`${web.url}/flower/tasks?state=failed`);
    await page.screenshot({ path: path.join(SHOTS, 'flower-tasks-failed.png'), fullPage: true });
    await page.goto(`${web.url}/flower/queues`);
    await page.screenshot({ path: path.join(SHOTS, 'flower-queues.png'), fullPage: true });
    await page.goto(`${web.url}/flower/history`);
    await page.locator('.flower-chart[data-chart="totals"] canvas').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.flower-chart canvas').count(), 7);
    await page.screenshot({ path: path.join(SHOTS, 'flower-history.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no script errors, no CSP violations');
    await page.close();
  });

  test('on a narrow screen; cancelling a delayed task asks first, in a dialog', async () => {
    const { page, errors } = await openDashboardPage(browser, 390);
    await page.goto(`${web.url}/flower/`);
    await page.screenshot({ path: path.join(SHOTS, 'flower-workers-narrow.png'), fullPage: true });
    const handle = await sleep.applyAsync({ args: [1], countdown: 600 });
    await page.goto(`${web.url}/flower/tasks?state=delayed`);
    await page.screenshot({ path: path.join(SHOTS, 'flower-tasks-narrow.png'), fullPage: true });
    const cancel = page.locator(`tr[data-task-id="${handle.id}"] form[action$="/cancel"] button`);
    await cancel.click();
    await page.locator('#flower-confirm').waitFor({ state: 'visible' });
    await page.click('#flower-confirm button[value="cancel"]');
    assert.equal((await handle.info()).state, 'delayed', 'dismissing the dialog sends nothing');
    await cancel.click();
    await page.click('#flower-confirm-ok');
    await page.waitForURL(/\/flower\/tasks\?state=delayed/);
    assert.match(await page.locator('.alert-success').innerText(), new RegExp(`Cancelled task ${handle.id}`));
    await eventually(async () => !(await engine.client.findJob(handle.id)), 5000, 'the task to be removed');
    await page.goto(`${web.url}/flower/history`);
    await page.locator('.flower-chart canvas').first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(SHOTS, 'flower-history-narrow.png'), fullPage: true });
    await page.goto(`${web.url}/flower/queues`);
    await page.screenshot({ path: path.join(SHOTS, 'flower-queues-narrow.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });
});
