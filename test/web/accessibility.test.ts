// Accessibility and layout in real headless Chromium, at 1280 and 390 px: axe-core over every console and dashboard page and state (no serious or critical violation, no page wider than the screen), and what each page must keep in view.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SHOTS } from '../helpers/chromium.js';
import {
  brokenWords,
  chartsCutAtLeft,
  cutSelects,
  cutText,
  failing,
  findingsOf,
  outOfView,
  sidewaysScrolling,
} from '../helpers/page-checks.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import type { WebServer } from '../../src/web/server.js';
import { defineTask } from '../../src/queue/registry.js';
import { heldTask } from '../helpers/held-task.js';
import { add, echo, raiseError, sleep } from '../../src/tasks/core.js';
import { MINUTE_MS, runtimeBucket, sampleMinute } from '../../src/history/history-counters.js';
import { historyKeys } from '../../src/redis/keys.js';
import { writeAudit } from '../../src/audit/audit-log.js';
import { circularText } from '../../src/tasks/circular-result.js';

/** The two widths every page is checked at: a laptop's browser window and a phone's. */
const WIDTHS = [1280, 390] as const;

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
  const contexts: Partial<Record<(typeof WIDTHS)[number], BrowserContext>> = {};
  const ids: Record<'active' | 'completed' | 'failed' | 'delayed' | 'long' | 'circular', string> = {
    active: '',
    completed: '',
    failed: '',
    delayed: '',
    long: '',
    circular: '',
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
    // No page is wider than the screen (a table scrolls inside its own box; the page itself never sideways).
    const wider = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (wider > 0) findings[name].push(`the page is ${wider} px wider than the screen`);
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
        // A circular (what the circular tasks return), long enough to scroll in its box.
        const subject = 'LIGO/Virgo/KAGRA S240101a: Updated Sky localization and EM Bright Classification';
        const body =
          `${'The LIGO Scientific Collaboration, the Virgo Collaboration, and the KAGRA Collaboration report. '.repeat(3)}\n\n`.repeat(12);
        const circular = await echo.delay({ superevent_id: 'S240101a', subject, body, text: circularText({ subject, body }) });
        await circular.get({ timeout: 10 });
        ids.circular = circular.id;
        ids.delayed = (await sleep.applyAsync({ args: [1], countdown: 600 })).id;
        ids.active = (await hold.delay()).id;
        await holding;
        await sampleMinute(engine.client.redis, engine.config);
        // Runtimes of 12 s this minute, as the task index counts them: the runtime chart's axis then reads "10,000" (ms).
        const minute = Math.floor(Date.now() / MINUTE_MS);
        await engine.client.redis.hincrby(historyKeys.minute(engine.config, minute), `rt|${runtimeBucket(12_000)}`, 3);
        // Audit entries as real deployments write them: long users, IPv6 addresses, several fields, a long refusal.
        const entry = { user: 'albert.einstein@ligo.org', address: '2001:db8:85a3::8a2e:370:7334', taskId: ids.completed };
        await writeAudit(engine.client.redis, engine.config, {
          ...entry,
          action: 'shell.submit',
          fields: {
            steps: [{ task: 'gwqueue.tasks.gracedb.download', args: ['bayestar.multiorder.fits,1', 'M123456'], kwargs: {} }],
            via: 'shell',
          },
          outcome: 'accepted',
          detail: 'queued gwqueue.tasks.gracedb.download',
        });
        await writeAudit(engine.client.redis, engine.config, {
          ...entry,
          taskId: null,
          action: 'form.create_update_gcn_circular',
          fields: { superevent_id: 'S240101a', sky_localization: 'on', em_bright: 'on', p_astro: 'on' },
          outcome: 'rejected',
          detail: 'No change performed. GraceDB query for S240101a returned error code 404. The superevent is unknown to GraceDB.',
        });
      },
    });
    web = stack.web;
    browser = await stack.browser();
    // Playwright adds axe's script as an inline <script>, which the console's CSP refuses: these contexts alone bypass it.
    for (const width of WIDTHS) contexts[width] = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
  });
  after(async () => {
    release();
    for (const context of Object.values(contexts)) await context.close();
    await stack?.stop();
  });

  for (const width of WIDTHS) {
    test(`console pages at ${width} px: no serious or critical axe violation`, async () => {
      const page = await contexts[width]!.newPage();
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
      await sweep(findings, page, 'task, a long text result', `/tasks/${ids.long}`);
      await sweep(findings, page, 'task, a circular', `/tasks/${ids.circular}`);
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

    test(`dashboard pages at ${width} px: no serious or critical axe violation`, async () => {
      const page = await contexts[width]!.newPage();
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
  }

  test("a circular's copy button (JavaScript's) puts its text on the clipboard", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: web.url });
    const page = await context.newPage();
    await page.goto(`${web.url}/tasks/${ids.circular}`);
    const button = page.locator('button[data-copy="result-text"]');
    await button.click();
    await page.locator('[data-copy-status="result-text"]', { hasText: 'Copied.' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, await page.locator('#result-text').textContent());
    assert.match(copied, /^SUBJECT: LIGO\/Virgo\/KAGRA S240101a: Updated Sky localization/);
    await context.close();
  });

  test('every dashboard page, the Host page too, offers the same section tabs', async () => {
    const page = await contexts[1280]!.newPage();
    const tabs: Record<string, string[]> = {};
    for (const path of ['/flower/', '/flower/tasks', '/flower/queues', '/flower/history', '/flower/schedules', '/flower/host']) {
      await page.goto(`${web.url}${path}`);
      tabs[path] = await page.locator('#flower-sections .nav-link').allTextContents();
    }
    await page.close();
    const expected = ['Workers', 'Tasks', 'Queues', 'History', 'Schedules', 'Host'];
    assert.deepEqual(tabs, Object.fromEntries(Object.keys(tabs).map((path) => [path, expected])));
  });

  test('at 1280 and 390 px the history charts show their y-axis labels whole', async () => {
    for (const width of WIDTHS) {
      const page = await contexts[width]!.newPage();
      await page.goto(`${web.url}/flower/history`);
      await page.locator('.flower-chart[data-chart="runtime"] canvas').waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(SHOTS, `layout-flower-history-${width}.png`), fullPage: true });
      assert.deepEqual(await chartsCutAtLeft(page, '.flower-chart canvas'), [], `at ${width} px`);
      await page.close();
    }
  });

  test("at 1280 px: a worker's tasks show their Received column whole; the audit log lists Fields by name and breaks no word", async () => {
    const page = await contexts[1280]!.newPage();
    await page.goto(`${web.url}/flower/workers/${encodeURIComponent(WORKER)}`);
    await page.screenshot({ path: path.join(SHOTS, 'layout-flower-worker-1280.png'), fullPage: true });
    assert.ok(await page.locator('#recent-tasks tbody tr').count(), 'the worker ran tasks');
    assert.deepEqual(await outOfView(page, '#recent-tasks td[title$=" UTC"], #active-tasks td[title$=" UTC"]'), []);
    assert.deepEqual(await cutText(page, '#recent-tasks td[title$=" UTC"]'), []);
    assert.deepEqual(await sidewaysScrolling(page), [], 'the task tables fit beside the configuration');

    await page.goto(`${web.url}/audit`);
    await page.screenshot({ path: path.join(SHOTS, 'layout-audit-1280.png'), fullPage: true });
    // Fields as name/value lines (a <dl>), not the entry's raw JSON.
    const names = await page.locator('td[data-label="Fields"] dl dt').allTextContents();
    assert.ok(
      ['superevent_id', 'sky_localization', 'steps', 'via'].every((name) => names.includes(name)),
      names.join(', '),
    );
    const fields = await page.locator('td[data-label="Fields"]').allTextContents();
    assert.deepEqual(
      fields.filter((text) => /^\s*\{/.test(text)),
      [],
      'no raw JSON object',
    );
    assert.deepEqual(await brokenWords(page, 'td[data-label="Detail"], td[data-label="User"], td[data-label="Fields"] dt'), []);
    await page.close();
  });

  test('at 390 px the dashboard keeps its controls and key columns in view', async () => {
    const page = await contexts[390]!.newPage();
    const hidden: Record<string, string[]> = {};
    const check = async (name: string, url: string, selector: string) => {
      await page.goto(`${web.url}${url}`);
      await page.screenshot({ path: path.join(SHOTS, `layout-${name}-390.png`), fullPage: true });
      assert.ok(await page.locator(selector).count(), `${name}: ${selector} is on the page`);
      hidden[name] = await outOfView(page, selector);
    };
    await check('flower-queues', '/flower/queues', '#queue-table form[action$="/pause"] button, #clean-age, #clean-state');
    hidden['flower-queues selects'] = await cutSelects(page, '#clean-queue, #clean-state, #clean-age');
    // Every task's ID, state, times and buttons, as a card of its own (the list does not scroll sideways).
    await check(
      'flower-tasks',
      '/flower/tasks',
      '#task-tabs .nav-link, #task-table td[data-label], #task-table .badge, #task-table .flower-actions button, #task-table th a',
    );
    hidden['flower-tasks sideways'] = await sidewaysScrolling(page);
    await check(
      'flower-workers',
      '/flower/',
      ['Name', 'Status', 'Active', 'Failed', 'Last heartbeat'].map((label) => `#worker-table td[data-label="${label}"]`).join(', ') +
        ', #worker-table form[action$="/forget"] button',
    );
    await check(
      'flower-schedules',
      '/flower/schedules',
      '#schedule-table th[scope="row"], ' +
        ['Task', 'Every', 'Next run', 'Last run', 'State'].map((label) => `#schedule-table td[data-label="${label}"]`).join(', '),
    );
    await check('flower-host', '/flower/host', '#host-processes td');
    await page.close();
    assert.deepEqual(failing(hidden), {});
  });

  test('at 390 and 1280 px the task page and the audit log fit their width; the task list shows its buttons whole', async () => {
    const scrolling: Record<string, string[]> = {};
    const underlined: Record<string, string[]> = {};
    for (const width of WIDTHS) {
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
      // The steps' names are snake_case links: the underline sits below their underscores, not on them.
      const steps = await page.locator('.task-body table a').allTextContents();
      assert.ok(
        steps.some((name) => name.includes('_')),
        steps.join(', '),
      );
      underlined[`task-chain at ${width}`] = await page.evaluate(() =>
        [...document.querySelectorAll('.task-body table a')]
          .map((link) => getComputedStyle(link))
          .filter((style) => !(parseFloat(style.textUnderlineOffset) >= 0.2 * parseFloat(style.fontSize)))
          .map((style) => `text-underline-offset ${style.textUnderlineOffset} at ${style.fontSize}`),
      );
      await page.close();
    }
    assert.deepEqual(failing(scrolling), {}, 'nothing scrolls sideways');
    assert.deepEqual(failing(underlined), {}, "the steps' underlines clear their underscores");

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
