// The embedded GraceDB's pages for operators at GraceDB's web paths: the searchable superevent list, a superevent, an event.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { coincXml, grbVoEvent } from '../gracedb/sample-files.js';
import { startFlowerServer } from '../../src/web/dashboard/standalone-app.js';
import { AS_OPERATOR, eventForm, json, OPERATOR_TOKEN, type ApiFixture, API_ACCESS, withApiClient } from './api-client.js';
import { startInProcess } from '../helpers/in-process.js';

describe('GraceDB pages', () => {
  let t: ApiFixture;
  let graceid: string;
  let id: string;
  const page = async (path: string) => {
    const response = await fetch(`${t.web.url}${path}`);
    return { status: response.status, html: await response.text() };
  };

  before(async () => {
    t = withApiClient(await startInProcess({ listen: true, env: API_ACCESS }));
    const form = eventForm(
      { group: 'Test', pipeline: 'gstlal' },
      { name: 'coinc.xml', contents: coincXml({ endTime: 1000000001, endTimeNs: 0, far: 1e-9 }) },
    );
    graceid = String((await json(await fetch(`${t.root}events/`, { method: 'POST', body: form, headers: AS_OPERATOR }))).graceid);
    const superevent = await fetch(`${t.root}superevents/`, {
      method: 'POST',
      headers: { ...AS_OPERATOR, 'content-type': 'application/json' },
      body: JSON.stringify({
        preferred_event: graceid,
        t_start: 1000000000,
        t_0: 1000000001,
        t_end: 1000000002,
        category: 'T',
        labels: ['EM_READY'],
      }),
    });
    id = String((await json(superevent)).superevent_id);
    await fetch(`${t.root}superevents/${id}/logs/`, {
      method: 'POST',
      headers: { ...AS_OPERATOR, 'content-type': 'application/json' },
      body: JSON.stringify({ comment: 'checked <script>alert(1)</script>' }),
    });
  });
  after(() => t?.stop());

  test('the superevent list, linked from the navigation bar, links each superevent and its preferred event, and searches with GraceDB queries', async () => {
    assert.ok((await page('/')).html.includes('href="/gracedb/superevents/">GraceDB</a>'), 'the console links the list');
    assert.ok((await page('/flower/tasks')).html.includes('href="/gracedb/superevents/">GraceDB</a>'), "the console's dashboard too");
    const list = await page('/gracedb/superevents/');
    assert.equal(list.status, 200);
    assert.ok(list.html.includes(`href="/gracedb/superevents/${id}/view/"`));
    assert.ok(list.html.includes(`href="/gracedb/events/${graceid}/view/"`));
    const found = await page(`/gracedb/superevents/?query=${encodeURIComponent('category: Test EM_READY')}`);
    assert.ok(found.html.includes(`/gracedb/superevents/${id}/view/`));
    const none = await page(`/gracedb/superevents/?query=${encodeURIComponent('category: MDC')}`);
    assert.ok(!none.html.includes(`/gracedb/superevents/${id}/view/`));
    assert.match(none.html, /No superevents\./);
    const bad = await page(`/gracedb/superevents/?query=${encodeURIComponent('nonsense:::')}`);
    assert.equal(bad.status, 400);
    assert.match(bad.html, /unsupported query term/);
  });

  test('a superevent page shows its events, labels, files and log (escaped); an event page links back', async () => {
    const superevent = await page(`/gracedb/superevents/${id}/view/`);
    assert.equal(superevent.status, 200);
    assert.ok(superevent.html.includes('EM_READY'));
    assert.ok(superevent.html.includes(`href="/gracedb/events/${graceid}/view/"`));
    assert.ok(superevent.html.includes('checked &lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!superevent.html.includes('<script>alert(1)'));
    const event = await page(`/gracedb/events/${graceid}/view/`);
    assert.equal(event.status, 200);
    assert.ok(event.html.includes(`href="/gracedb/superevents/${id}/view/"`));
    assert.ok(event.html.includes(`${t.root}events/${graceid}/files/coinc.xml,0`), 'the file links to the API download');
    assert.equal((await fetch(`${t.root}events/${graceid}/files/coinc.xml,0`)).status, 200);
  });

  test("a superevent's VOEvents: none, then each one listed on its page and linked to its VOEvent 2.0 document", async () => {
    assert.match((await page(`/gracedb/superevents/${id}/view/`)).html, /No VOEvents\./);
    const created = await fetch(`${t.root}superevents/${id}/voevents/`, {
      method: 'POST',
      headers: AS_OPERATOR,
      body: new URLSearchParams({ voevent_type: 'PR', internal: 'false', open_alert: 'true', BNS: '0.9' }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const filename = `${id}-1-Preliminary.xml`;
    const html = (await page(`/gracedb/superevents/${id}/view/`)).html;
    assert.doesNotMatch(html, /No VOEvents\./);
    assert.ok(html.includes(`href="${t.root}superevents/${id}/files/${filename}"`), 'the page links the document');
    const xml = await (await fetch(`${t.root}superevents/${id}/files/${filename}`)).text();
    assert.match(xml, new RegExp(`<Param name="GraceID" dataType="string" ucd="meta.id" value="${id}"/>`));
    assert.match(xml, /<Param name="Packet_Type" dataType="int" value="150"\/>/);
    assert.match(xml, /<Param name="Pipeline" dataType="string" ucd="meta.code" value="gstlal"\/>/, "the preferred event's pipeline");
    assert.match(xml, /<Group type="Classification">\s*<Param name="BNS" dataType="float" ucd="stat.probability" value="0.9"\/>/);
  });

  test('a task page links the superevents and events in its arguments to their GraceDB pages (none where there are none)', async () => {
    const queued = await fetch(`${t.web.url}/send_preliminary_gcn`, {
      method: 'POST',
      headers: {
        // The console's forms take an API token as Bearer (Basic is the GraceDB API's alone).
        authorization: `Bearer ${OPERATOR_TOKEN}`,
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
        'idempotency-key': 'task-page-links-0001',
      },
      body: new URLSearchParams({ superevent_id: id, event_id: graceid }),
    });
    assert.equal(queued.status, 202, await queued.clone().text());
    const { url } = await json(queued);
    const task = await page(String(url));
    assert.equal(task.status, 200);
    assert.ok(task.html.includes(`<a href="/gracedb/superevents/${id}/view/">${id}</a>`), 'the superevent is linked');
    assert.ok(task.html.includes(`<a href="/gracedb/events/${graceid}/view/">${graceid}</a>`), 'the event is linked');

    // The console's typeahead fields name where a chosen ID links (console.js shows the link).
    assert.ok((await page('/')).html.includes('data-gracedb="/gracedb/"'));
    // `gwqueue flower` serves no GraceDB pages: without GRACEDB_URL its task page and rows link none.
    const flower = await startFlowerServer(t.config, { port: 0, host: '127.0.0.1' });
    try {
      const alone = await (await fetch(`${flower.url.replace(/\/$/, '')}${new URL(String(url), t.web.url).pathname}`)).text();
      assert.ok(alone.includes(id) && !alone.includes('/gracedb/superevents/'), 'no link to pages that are not there');
      const rows = await (await fetch(`${flower.url}tasks?q=${id}`)).text();
      assert.ok(rows.includes('data-task-id') && !rows.includes('/gracedb/superevents/'));
    } finally {
      await flower.close(1000);
    }
  });

  test("an external event's page shows the GRB fields its notice gave", async () => {
    const form = eventForm(
      { group: 'External', pipeline: 'Fermi', search: 'GRB' },
      { name: 'grb.xml', contents: grbVoEvent('2024-05-01T12:00:00') },
    );
    const external = String((await json(await fetch(`${t.root}events/`, { method: 'POST', body: form, headers: AS_OPERATOR }))).graceid);
    const shown = await page(`/gracedb/events/${external}/view/`);
    assert.equal(shown.status, 200);
    for (const value of ['578052434', 'ivo://nasa.gsfc.gcn/Fermi#GBM_Gnd_Pos', 'GEOLUN', '120.5'])
      assert.ok(shown.html.includes(value), value);
    assert.ok(!shown.html.includes('redshift'), 'fields the notice did not give are left out');
  });

  test('an unknown ID is the 404 page', async () => {
    for (const path of ['/gracedb/superevents/S991231zz/view/', '/gracedb/events/G99999999/view/', '/gracedb/events/nonsense/view/']) {
      const missing = await page(path);
      assert.equal(missing.status, 404, path);
      assert.match(missing.html, /There is no|no (superevent|event)/, path);
    }
  });
});
