// The embedded GraceDB's pages in real headless Chromium after a Preliminary alert chain: links from the typeahead and the dashboard, axe-clean, fitting 390 and 1280 px, live, and readable without JavaScript.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openPage, SHOTS } from '../helpers/chromium.js';
import { failing, findingsOf, sidewaysScrolling } from '../helpers/page-checks.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { createConsoleGraceDb } from '../../src/web/context.js';
import { grbVoEvent } from '../gracedb/sample-files.js';
import type { WebServer } from '../../src/web/server.js';

async function confirmAndComplete(page: Page): Promise<void> {
  await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
  await page.click('#confirm-dialog-ok');
  await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
  await page.locator('#task-state', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
}

describe('GraceDB pages in Chromium', () => {
  let stack: InProcess;
  let web: WebServer;
  let browser: Browser;
  let superevent = '';
  let event = '';

  before(async () => {
    stack = await startInProcess({
      listen: true,
      env: { GWQUEUE_LOCAL_USER: 'true', GWQUEUE_MOCK_JOINT_DELAY_MS: '200' },
      workers: [{ name: 'gracedb-pages@test' }],
      services: true,
    });
    web = stack.web;
    browser = await stack.browser();
  });
  after(async () => {
    await stack?.stop();
  });

  test('the typeahead links the chosen superevent and event; a Preliminary alert chain runs; the dashboard links them', async () => {
    const { page, errors } = await openPage(browser, { width: 1280, height: 900 });
    await page.goto(`${web.url}/`);
    await page.click('#send_mock_event button[type="submit"]');
    await confirmAndComplete(page);
    superevent = /"(MS\d{6}[a-z]+)"/.exec(await page.locator('pre.result').innerText())?.[1] ?? '';
    assert.ok(superevent, 'the mock event names its superevent');

    // Chosen with the keyboard (↓, Enter): the link under the field names the choice and goes to its GraceDB page.
    await page.goto(`${web.url}/#send_preliminary_gcn`);
    const field = page.locator('#send_preliminary_gcn-superevent_id');
    await field.click();
    await field.pressSequentially(superevent.slice(0, 6), { delay: 30 });
    await page.locator('#send_preliminary_gcn-superevent_id ~ .typeahead-menu .list-group-item', { hasText: superevent }).waitFor();
    const link = page.locator('#send_preliminary_gcn-superevent_id ~ a.typeahead-gracedb');
    assert.ok(await link.isHidden(), 'no link while the field holds no whole ID');
    await field.press('ArrowDown');
    await field.press('Enter');
    assert.equal(await field.inputValue(), superevent);
    await link.waitFor({ state: 'visible' });
    assert.equal(await link.getAttribute('href'), `/gracedb/superevents/${superevent}/view/`);
    const eventField = page.locator('#send_preliminary_gcn-event_id');
    await eventField.click();
    await page.locator('#send_preliminary_gcn-event_id ~ .typeahead-menu .list-group-item').first().waitFor();
    await eventField.press('ArrowDown');
    await eventField.press('Enter');
    event = await eventField.inputValue();
    assert.match(event, /^M\d+$/);
    assert.equal(
      await page.locator('#send_preliminary_gcn-event_id ~ a.typeahead-gracedb').getAttribute('href'),
      `/gracedb/events/${event}/view/`,
    );
    await page.click('#send_preliminary_gcn button[type="submit"]');
    await confirmAndComplete(page);

    // The dashboard's task list (searched for the superevent; live, so it shows the task once the index has it): the
    // Preliminary alert's row links its superevent and event.
    await page.goto(`${web.url}/flower/tasks?q=${encodeURIComponent(superevent)}`);
    const toSuperevent = `a[href="/gracedb/superevents/${superevent}/view/"]`;
    const row = page.locator('#task-table tbody tr', { has: page.locator('td.flower-name', { hasText: 'orchestrator.preliminary' }) });
    await row.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: path.join(SHOTS, 'gracedb-flower-tasks-1280.png'), fullPage: true });
    assert.equal(await row.locator(toSuperevent).innerText(), superevent);
    assert.equal(await row.locator(`a[href="/gracedb/events/${event}/view/"]`).innerText(), event);
    await row.locator(toSuperevent).click();
    await page.waitForURL(`${web.url}/gracedb/superevents/${superevent}/view/`);
    assert.ok(await page.locator('#gracedb-live').getByText('Preliminary', { exact: false }).count(), 'the alert is in the log');
    assert.deepEqual(errors, [], 'no script errors, no CSP violations');
    await page.close();
  });

  test('the three pages (and an external event): no serious or critical axe violation, nothing scrolling sideways at 1280 and 390 px', async () => {
    assert.ok(superevent && event, 'the chain ran');
    // An external event too: its page lists the GRB notice's fields (a long IVORN among them).
    const { gracedb } = createConsoleGraceDb(stack.engine.config, stack.engine.client.redis);
    const external = await gracedb.createEvent({
      group: 'External',
      pipeline: 'Fermi',
      search: 'GRB',
      filename: 'grb.xml',
      filecontents: grbVoEvent('2024-05-01T12:00:00'),
    });
    const pages: Record<string, string> = {
      superevents: '/gracedb/superevents/',
      superevent: `/gracedb/superevents/${superevent}/view/`,
      event: `/gracedb/events/${event}/view/`,
      external: `/gracedb/events/${external.graceid}/view/`,
    };
    const findings: Record<string, string[]> = {};
    const scrolling: Record<string, string[]> = {};
    for (const width of [1280, 390]) {
      // Playwright adds axe's script as an inline <script>, which the console's CSP refuses: this context alone bypasses it.
      const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
      const page = await context.newPage();
      for (const [name, url] of Object.entries(pages)) {
        const response = await page.goto(`${web.url}${url}`);
        assert.equal(response?.status(), 200, url);
        await page.screenshot({ path: path.join(SHOTS, `gracedb-${name}-${width}.png`), fullPage: true });
        scrolling[`${name} at ${width}`] = await sidewaysScrolling(page);
        findings[`${name} at ${width}`] = await findingsOf(page);
      }
      await context.close();
    }
    assert.deepEqual(failing(findings), {});
    assert.deepEqual(failing(scrolling), {}, 'nothing scrolls sideways');
  });

  test('the superevent page shows a new log entry and label without a reload; without JavaScript it reloads itself', async () => {
    assert.ok(superevent, 'the chain ran');
    const { page, errors } = await openPage(browser, { width: 1280, height: 900 });
    await page.goto(`${web.url}/gracedb/superevents/${superevent}/view/`);
    const loaded = await page.evaluate(() => performance.timeOrigin);
    const { gracedb } = createConsoleGraceDb(stack.engine.config, stack.engine.client.redis);
    await gracedb.writeLog(superevent, 'checked by the live-page test');
    await gracedb.createLabel('ADVOK', superevent);
    await page.locator('#gracedb-live td', { hasText: 'checked by the live-page test' }).waitFor({ timeout: 15_000 });
    await page.locator('#gracedb-live .badge', { hasText: 'ADVOK' }).waitFor({ timeout: 15_000 });
    assert.equal(await page.evaluate(() => performance.timeOrigin), loaded, 'the same page, not a reload');
    assert.deepEqual(errors, []);
    await page.close();

    const context = await browser.newContext({ viewport: { width: 390, height: 900 }, javaScriptEnabled: false });
    const still = await context.newPage();
    await still.goto(`${web.url}/gracedb/superevents/${superevent}/view/`);
    assert.ok(await still.locator('#gracedb-live td', { hasText: 'checked by the live-page test' }).count(), 'the page is whole');
    assert.match(await still.content(), /<noscript><meta http-equiv="refresh" content="30"><\/noscript>/);
    await context.close();
  });

  // Last: it kills the stack's Redis.
  test('while Redis is down, the live superevent page keeps what it shows (the error answers are not swapped in)', async () => {
    assert.ok(superevent, 'the chain ran');
    const { page } = await openPage(browser, { width: 1280, height: 900 });
    const url = `${web.url}/gracedb/superevents/${superevent}/view/`;
    await page.goto(url);
    const before = await page.locator('#gracedb-live').innerHTML();
    let failed = 0;
    const refused = new Promise<void>((resolve) => {
      page.on('response', (response) => {
        if (response.url() === url && response.status() >= 500 && ++failed >= 2) resolve();
      });
    });
    await stack.redis.kill();
    await refused; // two polls answered with an error: the page has seen the outage
    assert.equal(await page.locator('#gracedb-live').innerHTML(), before);
    assert.ok(await page.locator('#gracedb-live td', { hasText: 'checked by the live-page test' }).count());
    await page.close();
  });
});
