// Accessibility and layout in real headless Chromium: axe-core over every console and dashboard page (no serious or critical violation), no sideways scrolling at 390 px.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SHOTS } from '../helpers/chromium.js';
import { failing, findingsOf, sidewaysScrolling } from '../helpers/page-checks.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import type { WebServer } from '../../src/web/server.js';
import { defineTask } from '../../src/queue/registry.js';
import { heldTask } from '../helpers/held-task.js';
import { add, echo, raiseError, sleep } from '../../src/tasks/core.js';
import { sampleMinute } from '../../src/history/history-counters.js';

// A task that runs until the test releases it (the worker runs in this process).
const { task: hold, holding, release } = heldTask('gwqueue.tests.accessibility.hold');

// Long names, as real deployments have them: the task list must still show its Actions column whole at 1280 px.
const WORKER = 'a11y-console-worker@gw-host-1.ligo-wa.caltech.example.org';
const failsLong = defineTask({
  name: 'gwqueue.tests.accessibility.fails_after_a_long_and_descriptive_name',
  description: 'Fails at once, with a long name and a long message.',
  params: {},
  retry: { attempts: 1, backoffMs: 0 },
  async run() {
    throw new Error(`GraceDB answered 503 Service Unavailable for S240101abc: ${'the server is busy, try again later; '.repeat(4)}`);
  },
});

describe('accessibility and layout in Chromium', () => {
  let stack: InProcess;
  let web: WebServer;
  let browser: Browser;
  let context: BrowserContext;
  const ids: Record<'active' | 'completed' | 'failed' | 'delayed' | 'long', string> = {
    active: '',
    completed: '',
    failed: '',
    delayed: '',
    long: '',
  };

  /** Opens the URL (or runs `open`) and records the page's findings under `name`. */
  async function sweep(
    findings: Record<string, string[]>,
    page: Page,
    name: string,
    open: string | (() => Promise<unknown>),
  ): Promise<void> {
    if (typeof open === 'string') {
      // The page itself, not an error page in its place (except where the error page is what is swept).
      const response = await page.goto(`${web.url}${open}`);
      assert.equal(response?.status(), name === '404' ? 404 : 200, `${name}: ${open}`);
    } else await open();
    findings[name] = await findingsOf(page);
  }

  before(async () => {
    stack = await startInProcess({
      listen: true,
      env: { GWQUEUE_LOCAL_USER: 'true' },
      workers: [{ name: 'gone@gw-host-2' }, { name: WORKER }],
      services: true,
      async prepare(engine) {
        // A worker that stopped (an offline row on the Workers page), before there is any task it could take.
        await engine.workers[0].stop();
        const handles = await Promise.all([
          add.delay(2, 3),
          raiseError.delay('GraceDB answered 503 for S240101a'),
          add.delay(4, 5),
          failsLong.delay(),
        ]);
        await Promise.all(handles.map((handle) => handle.get({ timeout: 10 }).catch(() => null)));
        ids.completed = handles[0].id;
        ids.failed = handles[1].id;
        // A result and arguments with no place to break, as a sky map's file name or a base64 blob can be.
        const long = await echo.delay(`skymap-${'0123456789abcdef'.repeat(24)}.multiorder.fits`);
        await long.get({ timeout: 10 });
        ids.long = long.id;
        ids.delayed = (await sleep.applyAsync({ args: [1], countdown: 600 })).id;
        ids.active = (await hold.delay()).id;
        await holding;
        await sampleMinute(engine.client.redis, engine.config);
      },
    });
    web = stack.web;
    browser = await stack.browser();
    // Playwright adds axe's script as an inline <script>, which the console's CSP refuses: this context alone bypasses it.
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  });
  after(async () => {
    release();
    await context?.close();
    await stack?.stop();
  });

  test('console pages: no serious or critical axe violation', async () => {
    const page = await context.newPage();
    const findings: Record<string, string[]> = {};
    await sweep(findings, page, 'home', '/');
    await sweep(findings, page, 'home, form errors', async () => {
      await page.goto(`${web.url}/`);
      await page.click('#create_update_gcn_circular button[type="submit"]');
      await page.locator('#create_update_gcn_circular .invalid-feedback').first().waitFor();
    });
    await sweep(findings, page, 'task, active', `/tasks/${ids.active}`);
    await sweep(findings, page, 'task, completed', `/tasks/${ids.completed}`);
    await sweep(findings, page, 'task, failed', `/tasks/${ids.failed}`);
    // The confirmation page a browser without JavaScript gets: submit() skips the dialog's submit handler.
    await sweep(findings, page, 'confirm', async () => {
      await page.goto(`${web.url}/`);
      await Promise.all([
        page.waitForURL(`${web.url}/send_mock_event`),
        page.evaluate(() => (document.querySelector('#send_mock_event form') as HTMLFormElement).submit()),
      ]);
      await page.locator('text=Please confirm').waitFor();
    });
    await sweep(findings, page, 'audit', '/audit');
    await sweep(findings, page, '404', '/no-such-page');
    await page.close();
    assert.deepEqual(failing(findings), {});
  });

  test('dashboard pages: no serious or critical axe violation', async () => {
    const page = await context.newPage();
    const findings: Record<string, string[]> = {};
    await sweep(findings, page, 'flower workers', '/flower/');
    await sweep(findings, page, 'flower worker', `/flower/workers/${encodeURIComponent(WORKER)}`);
    for (const tab of ['all', 'waiting', 'active', 'delayed', 'completed', 'failed'])
      await sweep(findings, page, `flower tasks ${tab}`, tab === 'all' ? '/flower/tasks' : `/flower/tasks?state=${tab}`);
    await sweep(findings, page, 'flower queues', '/flower/queues');
    await sweep(findings, page, 'flower history', async () => {
      await page.goto(`${web.url}/flower/history`);
      await page.locator('.flower-chart canvas').first().waitFor({ timeout: 10_000 });
    });
    await sweep(findings, page, 'flower schedules', '/flower/schedules');
    await sweep(findings, page, 'flower host', '/flower/host');
    // A control's confirmation page without JavaScript: cancelling the delayed task.
    await sweep(findings, page, 'flower confirm', async () => {
      await page.goto(`${web.url}/flower/tasks?state=delayed`);
      await Promise.all([
        page.waitForURL(/\/cancel$/),
        page.evaluate(
          (id) => (document.querySelector(`tr[data-task-id="${id}"] form[action$="/cancel"]`) as HTMLFormElement).submit(),
          ids.delayed,
        ),
      ]);
      await page.locator('text=Please confirm').waitFor();
    });
    await page.close();
    assert.equal(Object.keys(findings).length, 13, 'every dashboard page was swept');
    assert.deepEqual(failing(findings), {});
  });

  test('at 390 and 1280 px the task page and the audit log fit their width; the task list shows its buttons whole', async () => {
    const scrolling: Record<string, string[]> = {};
    for (const width of [1280, 390]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      for (const [name, url] of [
        ['task-long', `/tasks/${ids.long}`],
        ['task-failed', `/tasks/${ids.failed}`],
        ['audit', '/audit'],
      ]) {
        await page.goto(`${web.url}${url}`);
        await page.screenshot({ path: path.join(SHOTS, `layout-${name}-${width}.png`), fullPage: true });
        scrolling[`${name} at ${width}`] = await sidewaysScrolling(page);
      }
      // A real chain (the mock event form): its steps table and its result at this width.
      await page.goto(`${web.url}/#send_mock_event`);
      await page.click('#send_mock_event button[type="submit"]');
      await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
      await page.click('#confirm-dialog-ok');
      await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
      await page.locator('#task-state', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(SHOTS, `layout-task-chain-${width}.png`), fullPage: true });
      scrolling[`task-chain at ${width}`] = await sidewaysScrolling(page);
      await page.close();
    }
    assert.deepEqual(failing(scrolling), {}, 'nothing scrolls sideways');

    // The All tab at 1280 px: every row's Retry button lies inside the table's box, not cut off by it.
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${web.url}/flower/tasks`);
    await page.screenshot({ path: path.join(SHOTS, 'layout-flower-tasks-all-1280.png'), fullPage: true });
    const clipped = await page.evaluate(() => {
      const wrap = document.querySelector('#task-table')!.closest('.table-responsive')!.getBoundingClientRect();
      return [...document.querySelectorAll('#task-table form[action$="/retry"] button')]
        .map((button) => button.getBoundingClientRect())
        .filter((box) => box.right > wrap.right + 0.5 || box.left < wrap.left - 0.5)
        .map((box) => `${Math.round(box.left)}–${Math.round(box.right)} outside ${Math.round(wrap.left)}–${Math.round(wrap.right)}`);
    });
    assert.ok(await page.locator('#task-table form[action$="/retry"] button').count(), 'a failed task offers Retry');
    assert.deepEqual(clipped, []);
    await page.close();
  });
});
