// Accessibility and layout in real headless Chromium: axe-core over every console and dashboard page (no serious or critical violation), no sideways scrolling at 390 px.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { AxeResults } from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SHOTS } from '../helpers/chromium.js';
import { startConsoleStack, type ConsoleStack } from '../helpers/console-stack.js';
import type { WebServer } from '../../src/web/server.js';
import { defineTask } from '../../src/queue/registry.js';
import { heldTask } from '../helpers/held-task.js';
import { add, echo, raiseError, sleep } from '../../src/tasks/core.js';
import { sampleMinute } from '../../src/history/history-counters.js';

const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

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

/**
 * Serious and critical axe findings on the page, one line per rule with its count and first node (minor and moderate
 * ones are not gated), plus what the console promises of every page: exactly one <h1>, no table header without text.
 */
async function findingsOf(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_SCRIPT });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe;
    const results = await axe.run(document, { resultTypes: ['violations'] });
    const lines = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => {
        const first = v.nodes[0];
        const why = [...first.any, ...first.all, ...first.none].map((check) => check.message).join('; ');
        return `${v.impact} ${v.id} ×${v.nodes.length}: ${why} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`;
      });
    const headings = document.querySelectorAll('h1').length;
    if (headings !== 1) lines.push(`${headings} <h1> elements`);
    const empty = [...document.querySelectorAll('th')].filter((th) => !th.textContent?.trim()).length;
    if (empty) lines.push(`${empty} empty <th>`);
    return lines;
  });
  return found;
}

/**
 * What scrolls sideways: the page itself (its width past the viewport's), or a box inside it (a table or a <pre> whose
 * content is wider than the box, which hides what an operator must read behind a scroll bar). Empty when nothing does.
 */
function sidewaysScrolling(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const page = document.documentElement.scrollWidth - window.innerWidth;
    if (page > 0) found.push(`the page, by ${page} px`);
    for (const element of document.querySelectorAll('main *')) {
      const box = element as HTMLElement;
      if (!['auto', 'scroll'].includes(getComputedStyle(box).overflowX) || box.scrollWidth <= box.clientWidth + 1) continue;
      found.push(`${box.tagName.toLowerCase()}.${[...box.classList].join('.')}, by ${box.scrollWidth - box.clientWidth} px`);
    }
    return found;
  });
}

/** Only the pages with findings, so that a failure names them. */
function failing(findings: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(findings).filter(([, lines]) => lines.length));
}

describe('accessibility and layout in Chromium', () => {
  let stack: ConsoleStack;
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
    stack = await startConsoleStack({
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
