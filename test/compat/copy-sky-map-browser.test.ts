// Copy Sky Map Between Events in a real headless Chromium, on a desktop and a phone: superevent typeahead, event
// typeahead, the event's sky-map files, the confirmation dialog, the task page reaching "completed"; the disabled-detectors
// form's detector lookup; screenshots in /tmp/shots.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openPage } from '../helpers/chromium.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { findForm } from '../../src/forms/registry.js';
import { services } from '../../src/tasks/services.js';

const SHOTS = '/tmp/shots';
const FORM = 'copy_sky_map_between_events';

/** Picks the suggestion containing `text` from the typeahead menu under `input` with the keyboard. */
async function pick(page: Page, input: string, text: string): Promise<void> {
  const field = page.locator(`#${FORM}-${input}`);
  const suggestions = page.locator(`#${FORM}-${input} ~ .typeahead-menu .list-group-item`);
  await suggestions.filter({ hasText: text }).first().waitFor();
  const all = await suggestions.allInnerTexts();
  const index = all.findIndex((label) => label.includes(text));
  for (let step = 0; step <= index; step += 1) await field.press('ArrowDown');
  await field.press('Enter');
}

describe('copy a sky map in Chromium (desktop and phone)', () => {
  let stack: InProcess;
  let browser: Browser;
  let sid: string;
  let eventId: string;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startInProcess({
      listen: true,
      env: { GWQUEUE_LOCAL_USER: 'true', GWQUEUE_JOINT_MDC_FREQ: '0' },
      workers: [{ name: 'copy-browser@test' }],
      services: true,
    });
    const mock = findForm('send_mock_event')!;
    const handle = await stack.engine.client.apply(mock.build({}, { user: 'alice', config: stack.engine.config }));
    ({ superevent_id: sid, graceid: eventId } = (await handle.get({ timeout: 30 })) as { superevent_id: string; graceid: string });
    const { gracedb } = services();
    await eventually(async () => (await gracedb.getSuperevent(sid)).labels.includes('EM_READY'), 30_000, 'EM_READY');
    browser = await stack.browser();
  });
  after(async () => {
    await stack?.stop();
  });

  for (const [name, viewport] of [
    ['desktop', { width: 1280, height: 900 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    test(`${name} (${viewport.width} px): typeaheads, confirm, task page completed`, async () => {
      const { page, errors } = await openPage(browser, viewport);
      await page.goto(`${stack.web.url}/#${FORM}`);
      const card = page.locator(`#${FORM}`);
      await card.scrollIntoViewIfNeeded();

      const superevent = page.locator(`#${FORM}-superevent_id`);
      await superevent.click();
      await superevent.pressSequentially(sid.slice(0, 6), { delay: 30 });
      await pick(page, 'superevent_id', sid);
      assert.equal(await superevent.inputValue(), sid);

      await page.locator(`#${FORM}-event_id`).click();
      await pick(page, 'event_id', eventId);
      assert.equal(await page.locator(`#${FORM}-event_id`).inputValue(), eventId);

      const file = page.locator(`#${FORM}-skymap_filename`);
      await file.click();
      const offered = page.locator(`#${FORM}-skymap_filename ~ .typeahead-menu .list-group-item`);
      await offered.first().waitFor();
      assert.deepEqual(await offered.allInnerTexts(), ['bayestar.multiorder.fits,0'], 'only the multi-order sky map is offered');
      await card.screenshot({ path: path.join(SHOTS, `copy-sky-map-${viewport.width}-typeahead.png`) });
      await pick(page, 'skymap_filename', 'bayestar.multiorder.fits,0');
      assert.equal(await file.inputValue(), 'bayestar.multiorder.fits,0');
      await card.screenshot({ path: path.join(SHOTS, `copy-sky-map-${viewport.width}-filled.png`) });

      await page.click(`#${FORM} button[type="submit"]`);
      const dialog = page.locator('#confirm-dialog');
      await dialog.waitFor({ state: 'visible' });
      assert.match(
        await dialog.innerText(),
        new RegExp(`superevent_id = ${sid}[\\s\\S]*event_id = ${eventId}[\\s\\S]*skymap_filename = bayestar\\.multiorder\\.fits,0`),
      );
      await page.screenshot({ path: path.join(SHOTS, `copy-sky-map-${viewport.width}-confirm.png`) });
      await page.click('#confirm-dialog-ok');

      await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
      assert.match(
        await page.locator('.alert-success').innerText(),
        new RegExp(`Copying file [^ ]+ from [A-Z]\\d+ to ${sid}\\. Follow it as task [0-9a-f-]{36}\\.`),
      );
      await page.locator('#task-state', { hasText: /completed|failed/ }).waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('#task-state').innerText(), 'completed', await page.locator('#main').innerText());
      await page.screenshot({ path: path.join(SHOTS, `copy-sky-map-${viewport.width}-completed.png`), fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the task page fits the ${viewport.width} px screen (${overflow} px too wide)`);
      assert.deepEqual(errors, [], 'no script errors, no CSP violations');
      await page.close();
    });
  }

  test("phone: the disabled-detectors form offers only the event's own detectors once its ID is typed", async () => {
    const detectors = (await services().gracedb.getEvent(eventId)).instruments.split(',');
    const { page, errors } = await openPage(browser, { width: 390, height: 844 });
    const form = 'create_skymap_with_disabled_detectors';
    await page.goto(`${stack.web.url}/#${form}`);
    const visible = async () => {
      const shown: string[] = [];
      for (const name of ['H1', 'L1', 'V1', 'K1', 'I1']) if (await page.locator(`#${form}-${name}`).isVisible()) shown.push(name);
      return shown;
    };
    assert.deepEqual(await visible(), ['H1', 'L1', 'V1', 'K1', 'I1'], 'every detector before an event is known');
    await page.locator(`#${form}-event_id`).fill(eventId);
    await page
      .locator(`#${form}`)
      .getByText(`${eventId} has ${detectors.join(', ')}.`)
      .waitFor();
    assert.deepEqual(await visible(), detectors);
    await page.locator(`#${form}`).screenshot({ path: path.join(SHOTS, 'disabled-detectors-390.png') });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('both copies are on the superevent, unversioned, tagged sky_loc and public', async () => {
    const copies = (await services().gracedb.getLogs(sid)).filter((entry) => entry.comment === `sky map copied from ${eventId}`);
    assert.equal(copies.length, 2);
    for (const entry of copies) {
      assert.equal(entry.filename, 'bayestar.multiorder.fits');
      assert.deepEqual([...entry.tag_names].sort(), ['public', 'sky_loc']);
    }
  });
});
