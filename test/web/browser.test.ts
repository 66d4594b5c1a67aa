// The console in a real headless Chromium: mock event, typeahead, confirmation dialog, live task page reaching "completed" (its flash message kept), and the same without JavaScript.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openPage, SHOTS } from '../helpers/chromium.js';
import { startInProcess, type InProcess, type Engine } from '../helpers/in-process.js';
import type { WebServer } from '../../src/web/server.js';
import { heldTask } from '../helpers/held-task.js';

// A task that runs until the test releases it (the worker runs in this process).
const { task: hold, holding, release } = heldTask('gwqueue.tests.browser.hold');

async function confirmDialog(page: Page): Promise<void> {
  const dialog = page.locator('#confirm-dialog');
  await dialog.waitFor({ state: 'visible' });
  await page.click('#confirm-dialog-ok');
}

async function waitForCompleted(page: Page): Promise<void> {
  await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
  await page.locator('#task-state', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
}

describe('console in Chromium', () => {
  let stack: InProcess;
  let engine: Engine;
  let web: WebServer;
  let browser: Browser;

  before(async () => {
    // Tasks running in this process use the test's Redis, not the environment's.
    stack = await startInProcess({
      listen: true,
      env: { GWQUEUE_LOCAL_USER: 'true', GWQUEUE_MOCK_JOINT_DELAY_MS: '200' },
      workers: [{ name: 'browser@test' }],
      services: true,
    });
    ({ engine, web } = stack);
    browser = await stack.browser();
  });
  after(async () => {
    await stack?.stop();
  });

  test('mock event, then typeahead → preliminary alert → confirm → task page reaches completed', async () => {
    const { page, errors } = await openPage(browser, { width: 1280, height: 900 });
    await page.goto(`${web.url}/`);
    await page.screenshot({ path: path.join(SHOTS, 'console.png'), fullPage: true });

    // A mock event creates a superevent to work on.
    await page.click('#send_mock_event button[type="submit"]');
    await confirmDialog(page);
    await waitForCompleted(page);
    const resultText = await page.locator('pre.result').innerText();
    const supereventId = /"(MS\d{6}[a-z]+)"/.exec(resultText)?.[1];
    assert.ok(supereventId, `the mock event's result names its superevent: ${resultText}`);
    await page.screenshot({ path: path.join(SHOTS, 'task-completed.png'), fullPage: true });

    // Typeahead: a partial ID offers the superevent; keyboard picks it.
    await page.goto(`${web.url}/#send_preliminary_gcn`);
    const superevent = page.locator('#send_preliminary_gcn-superevent_id');
    await superevent.click();
    await superevent.pressSequentially(supereventId.slice(0, 6), { delay: 30 });
    const suggestion = page.locator('#send_preliminary_gcn-superevent_id ~ .typeahead-menu .list-group-item', { hasText: supereventId });
    await suggestion.waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'typeahead.png') });
    await superevent.press('ArrowDown');
    await superevent.press('Enter');
    assert.equal(await superevent.inputValue(), supereventId);

    // Event suggestions show group, pipeline, SNR and FAR.
    const eventInput = page.locator('#send_preliminary_gcn-event_id');
    await eventInput.click();
    const eventSuggestion = page.locator('#send_preliminary_gcn-event_id ~ .typeahead-menu .list-group-item').first();
    await eventSuggestion.waitFor();
    assert.match(await eventSuggestion.innerText(), /^M\d+\s*CBC · gstlal · SNR \d+\.\d · FAR [\d.]+e[-+]\d+ Hz/);
    await eventInput.press('ArrowDown');
    await eventInput.press('Enter');
    assert.match(await eventInput.inputValue(), /^M\d+$/);

    // Submit, confirm the dialog, follow the task until it completes.
    await page.click('#send_preliminary_gcn button[type="submit"]');
    await confirmDialog(page);
    await page.waitForURL(/\/tasks\//);
    assert.match(
      await page.locator('.alert-success').innerText(),
      new RegExp(`Queued preliminary alert for ${supereventId}\\. Follow it as task [0-9a-f-]{36}\\.`),
    );
    await waitForCompleted(page);
    assert.ok((await page.locator('table tr').count()) >= 3, 'the chain steps are listed');
    await page.screenshot({ path: path.join(SHOTS, 'preliminary-completed.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no script errors, no CSP violations');
    await page.close();
  });

  test('a task page follows a running task about once a second, each request waiting for its end (?wait=1)', async () => {
    // The task runs until the test lets it finish, so the page is watched over as many requests as the test wants.
    const handle = await hold.delay();
    await holding;
    const { page, errors } = await openPage(browser, { width: 1280, height: 900 });
    const asked: { url: string; at: number }[] = [];
    let onRequest = (): void => undefined;
    page.on('request', (request) => {
      if (!request.url().includes('/api/tasks/')) return;
      asked.push({ url: new URL(request.url()).pathname + new URL(request.url()).search, at: Date.now() });
      onRequest();
    });
    const requests = (count: number): Promise<void> =>
      new Promise((resolve) => {
        onRequest = () => asked.length >= count && resolve();
        onRequest();
      });
    await page.goto(`${web.url}/tasks/${handle.id}`);
    assert.equal(await page.locator('#task-state').innerText(), 'active');
    await requests(4);
    // Each request waits up to a second on the server and the next starts no sooner than a second after the last.
    for (let n = 1; n < asked.length; n++)
      assert.ok(asked[n].at - asked[n - 1].at >= 900, `request ${n} came ${asked[n].at - asked[n - 1].at} ms after the one before`);
    const beforeEnd = asked.length;
    release();
    await page.locator('#task-state', { hasText: 'completed' }).waitFor({ timeout: 15_000 });
    assert.ok(
      asked.every(({ url }) => url === `/api/tasks/${handle.id}?wait=1`),
      asked.map(({ url }) => url).join(' '),
    );
    // The end shows through the request that was waiting (at most one more began before the reload).
    assert.ok(asked.length <= beforeEnd + 1, `${asked.length - beforeEnd} requests after the end`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the "Queued …" message stays on the task page when the page reloads itself as the task moves on', async () => {
    // The queues are paused until the page is watched, so the task is still waiting when the page lands: it reloads later.
    const queues = await Promise.all((await engine.client.queueNames()).map((name) => engine.client.queue(name)));
    await Promise.all(queues.map((queue) => queue.pause()));
    const { page, errors } = await openPage(browser, { width: 1280, height: 900 });
    try {
      await page.goto(`${web.url}/#send_mock_event`);
      await page.click('#send_mock_event button[type="submit"]');
      await confirmDialog(page);
      await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
      const queued = /^Queued a mock event\. Follow it as task [0-9a-f-]{36}\.$/;
      assert.match(await page.locator('.alert-success').innerText(), queued);
      assert.notEqual(await page.locator('#task').getAttribute('data-finished'), 'true');
      await page.evaluate(() => Object.assign(window, { notReloaded: true }));
    } finally {
      await Promise.all(queues.map((queue) => queue.resume()));
    }
    await page.locator('#task-state', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), undefined, 'the page reloaded');
    assert.match(await page.locator('.alert-success').innerText(), /^Queued a mock event\. Follow it as task [0-9a-f-]{36}\.$/);
    assert.equal(await page.locator('.alert').count(), 1, 'shown once');
    // Only that reload carries it: opening the page again shows no message.
    await page.reload();
    assert.equal(await page.locator('.alert').count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('without JavaScript: the server asks for confirmation, the form is sent, the task page refreshes until completed', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${web.url}/#send_mock_event`);
    await page.click('#send_mock_event button[type="submit"]');
    await page.waitForURL(`${web.url}/send_mock_event`);
    await page.locator('h1', { hasText: 'Please confirm: Mock event' }).waitFor();
    await page.click('button[type="submit"].btn-danger');
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    assert.match(await page.locator('.alert-success').innerText(), /^Queued a mock event\. Follow it as task [0-9a-f-]{36}\.$/);
    // The <noscript> refresh reloads the page until the task is done.
    await page.locator('#task-state', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    await context.close();
  });

  test('a narrow screen still shows the forms, and cancelling the dialog sends nothing', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${web.url}/`);
    await page.screenshot({ path: path.join(SHOTS, 'console-narrow.png'), fullPage: true });
    const before = await engine.client.queue('celery').getJobCounts();
    await page.click('#send_mock_joint_event button[type="submit"]');
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    await page.click('#confirm-dialog button[value="cancel"]');
    await page.locator('#confirm-dialog').waitFor({ state: 'hidden' });
    // The dialog's close handler runs in a task queued when it closed; one more task later, it has decided.
    const confirmed = await page.evaluate(
      () =>
        new Promise((resolve) =>
          setTimeout(() => resolve((document.querySelector('#send_mock_joint_event form') as HTMLFormElement).dataset.confirmed ?? 'no')),
        ),
    );
    assert.equal(confirmed, 'no', 'cancelling does not confirm the form');
    assert.equal(new URL(page.url()).pathname, '/');
    assert.deepEqual(await engine.client.queue('celery').getJobCounts(), before);
    await page.close();
  });
});
