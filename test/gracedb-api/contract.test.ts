// The embedded GraceDB served as GraceDB: the shapes gracedb-sdk and ligo-gracedb send and read, over real HTTP against a real Redis.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { coincXml, GRB_OF_SAMPLE, grbVoEvent } from '../gracedb/sample-files.js';
import { GRB_FIELDS } from '../../src/web/gracedb/serialize.js';
import { listAudit } from '../../src/audit/audit-log.js';
import { connectClient } from '../../src/queue/client.js';
import { AS_ADMIN, AS_OPERATOR, basic, eventForm, json, VIEWER_TOKEN, type ApiFixture, API_ACCESS, withApiClient } from './api-client.js';
import { startInProcess } from '../helpers/in-process.js';

const T0 = 1000000001;
const COINC = coincXml({ endTime: T0, endTimeNs: 0, far: 1e-9 });

describe('GraceDB API: the contract of GraceDB clients', () => {
  let t: ApiFixture;
  let root: string;
  const call = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, root), { ...init, headers: { ...AS_OPERATOR, ...(init.headers as Record<string, string>) } });
  const sendJson = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    call(path, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  const createTestEvent = async (fields: Record<string, string | string[]> = {}) => {
    const response = await call('events/', {
      method: 'POST',
      body: eventForm({ group: 'Test', pipeline: 'gstlal', ...fields }, { name: 'coinc.xml', contents: COINC }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    return json(response);
  };
  const createSuperevent = async (preferred: string) => {
    // Written out as gracedb-sdk's test sends them: more digits than a double keeps, which GraceDB rounds to 6.
    const response = await call('superevents/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"preferred_event": "${preferred}", "t_start": 1000000000.12345678, "t_0": 1000000001.12345678, "t_end": 1000000002.12345678, "category": "T"}`,
    });
    assert.equal(response.status, 201, await response.clone().text());
    return json(response);
  };

  before(async () => {
    t = withApiClient(await startInProcess({ listen: true, env: API_ACCESS }));
    root = t.root;
  });
  after(() => t?.stop());

  test('the API root lists links, templates and the names GraceDB checks, under this server', async () => {
    const response = await fetch(root);
    assert.equal(response.status, 200);
    const doc = await json(response);
    for (const key of [
      'links',
      'templates',
      'groups',
      'pipelines',
      'searches',
      'labels',
      'superevent-categories',
      'voevent-types',
      'API_VERSIONS',
    ]) {
      assert.ok(key in doc, key);
    }
    assert.equal((doc.links as Record<string, string>).events, `${root}events/`);
    assert.equal((doc.templates as Record<string, string>)['event-detail-template'], `${root}events/{graceid}`);
    assert.equal((doc.templates as Record<string, string>)['superevent-detail-template'], `${root}superevents/{superevent_id}/`);
    assert.ok((doc.groups as string[]).includes('Test'));
    assert.ok((doc.pipelines as string[]).includes('gstlal'));
    assert.deepEqual(doc['superevent-categories'], { P: 'Production', T: 'Test', M: 'MDC' });
    assert.ok(!JSON.stringify(doc).includes('gracedb.invalid'));
  });

  test('events: create (multipart, 201), get, search with pagination; Test events are T…, links under this server', async () => {
    const created = await createTestEvent({ labels: ['EM_READY', 'DQV'] });
    const graceid = String(created.graceid);
    assert.match(graceid, /^T\d+$/);
    assert.deepEqual(created.warnings, []);
    assert.deepEqual(new Set(created.labels as string[]), new Set(['EM_READY', 'DQV']));
    assert.equal((created.links as Record<string, string>).self, `${root}events/${graceid}`);
    assert.deepEqual(created.superevent_neighbours, {});
    const got = await json(await fetch(`${root}events/${graceid}`));
    assert.deepEqual({ ...got, warnings: [] }, created);
    const found = await json(await fetch(`${root}events/?query=${graceid}`));
    assert.equal(found.numRows, 1);
    assert.deepEqual({ ...(found.events as Record<string, unknown>[])[0], warnings: [] }, created);

    for (let i = 0; i < 3; i += 1) await createTestEvent();
    const seen: string[] = [];
    let url: string | null = `${root}events/?query=Test&count=2`;
    let total = 0;
    while (url) {
      const page = await json(await fetch(url));
      total = Number(page.numRows);
      seen.push(...(page.events as { graceid: string }[]).map((event) => event.graceid));
      url = (page.links as { next: string | null }).next;
    }
    assert.equal(total, 4);
    assert.equal(new Set(seen).size, 4, 'each event once over the pages');
  });

  test("external events carry GraceDB's GrbEvent fields in extra_attributes.GRB, read from the notice or null", async () => {
    const upload = async (name: string, contents: string) => {
      const response = await call('events/', {
        method: 'POST',
        body: eventForm({ group: 'External', pipeline: 'Fermi', search: 'GRB' }, { name, contents }),
      });
      assert.equal(response.status, 201, await response.clone().text());
      return json(response);
    };
    const notice = await upload('grb.xml', grbVoEvent('2024-05-01T12:00:00'));
    assert.match(String(notice.graceid), /^E\d+$/);
    assert.deepEqual((notice.extra_attributes as Record<string, unknown>).GRB, GRB_OF_SAMPLE);
    const fetched = await json(await fetch(`${root}events/${notice.graceid}`));
    assert.deepEqual((fetched.extra_attributes as Record<string, unknown>).GRB, GRB_OF_SAMPLE, 'a GET answers the same fields');
    // A JSON upload that names only a position: every other GrbEvent field is there, null.
    const bare = await upload(
      'grb.json',
      JSON.stringify({ gpstime: 1400000000, extra_attributes: { GRB: { ra: 1, dec: 2, error_radius: 3 } } }),
    );
    const grb = (bare.extra_attributes as Record<string, Record<string, unknown>>).GRB;
    assert.deepEqual(Object.keys(grb).sort(), [...GRB_FIELDS].sort());
    assert.deepEqual([grb.ra, grb.ivorn, grb.T90, grb.trigger_id], [1, null, null, null]);
    // A GW event has no GRB block.
    assert.ok(!('GRB' in ((await createTestEvent()).extra_attributes as Record<string, unknown>)));
  });

  test('event replace (PUT) makes a new version of the file', async () => {
    const { graceid } = await createTestEvent();
    const response = await call(`events/${graceid}`, {
      method: 'PUT',
      body: eventForm({}, { name: 'coinc.xml', contents: `${COINC}<!--foobar-->` }),
    });
    assert.equal(response.status, 202, await response.clone().text());
    const files = await json(await fetch(`${root}events/${graceid}/files/`));
    assert.ok('coinc.xml,1' in files, JSON.stringify(files));
    const latest = await fetch(`${root}events/${graceid}/files/coinc.xml`);
    assert.match(await latest.text(), /foobar/);
  });

  test('superevents: create (times to 6 decimals), get, search, PATCH with the current preferred event, add and remove events', async () => {
    const first = await createTestEvent();
    const second = await createTestEvent();
    const created = await createSuperevent(String(first.graceid));
    const id = String(created.superevent_id);
    assert.match(id, /^TS\d{6}[a-z]+$/);
    assert.equal(created.t_start, 1000000000.123457);
    assert.equal(created.t_0, 1000000001.123457);
    assert.equal(created.t_end, 1000000002.123457);
    assert.equal(created.category, 'Test');
    assert.deepEqual(await json(await fetch(`${root}superevents/${id}/`)), created);
    const search = await json(await fetch(`${root}superevents/?query=${encodeURIComponent(`${id} category: Test`)}`));
    assert.deepEqual(search.superevents, [created]);

    const patched = await sendJson('PATCH', `superevents/${id}/`, {
      preferred_event: first.graceid,
      t_start: 123,
      t_0: 456,
      t_end: 789,
      category: 'T',
    });
    assert.equal(patched.status, 200, await patched.clone().text());
    const now = await json(await fetch(`${root}superevents/${id}/`));
    assert.deepEqual([now.t_start, now.t_0, now.t_end], [123, 456, 789]);

    const added = await call(`superevents/${id}/events/`, { method: 'POST', body: new URLSearchParams({ event: String(second.graceid) }) });
    assert.equal(added.status, 201, await added.clone().text());
    assert.deepEqual(
      new Set((await json(await fetch(`${root}superevents/${id}/`))).gw_events as string[]),
      new Set([first.graceid, second.graceid]),
    );
    const event = await json(await fetch(`${root}events/${second.graceid}`));
    // As GraceDB's EventSerializer shows a neighbour: its ID, FAR, GW events, preferred event and window.
    const neighbour = (event.superevent_neighbours as Record<string, Record<string, unknown>>)[id];
    assert.ok(neighbour, 'the event shows its superevent as a neighbour');
    assert.deepEqual(Object.keys(neighbour).sort(), ['far', 'gw_events', 'preferred_event', 'superevent_id', 't_0', 't_end', 't_start']);
    assert.equal(neighbour.superevent_id, id);
    assert.deepEqual(new Set(neighbour.gw_events as string[]), new Set([first.graceid, second.graceid]));

    assert.equal((await sendJson('PATCH', `superevents/${id}/`, { preferred_event: second.graceid, category: 'T' })).status, 200);
    assert.equal((await json(await fetch(`${root}superevents/${id}/`))).preferred_event, second.graceid);
    const removed = await call(`superevents/${id}/events/${first.graceid}/`, { method: 'DELETE' });
    assert.equal(removed.status, 204);
    assert.deepEqual((await json(await fetch(`${root}superevents/${id}/`))).gw_events, [second.graceid]);
    const refused = await call(`superevents/${id}/events/${second.graceid}/`, { method: 'DELETE' });
    assert.equal(refused.status, 400, 'the preferred event stays');
    assert.match(String((await json(refused)).detail), /preferred event/);
  });

  test('labels on events (PUT/DELETE labels/NAME) and superevents (POST labels/, DELETE), as {name, creator, created, self}', async () => {
    const { graceid } = await createTestEvent();
    assert.equal((await call(`events/${graceid}/labels/SKYMAP_READY`, { method: 'PUT' })).status, 201);
    const labels = (await json(await fetch(`${root}events/${graceid}/labels/`))).labels as Record<string, unknown>[];
    assert.equal(labels[0].name, 'SKYMAP_READY');
    assert.equal(labels[0].creator, 'robot');
    assert.match(String(labels[0].created), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    assert.equal(labels[0].self, `${root}events/${graceid}/labels/SKYMAP_READY`);
    assert.equal((await call(`events/${graceid}/labels/SKYMAP_READY`, { method: 'DELETE' })).status, 204);
    assert.deepEqual((await json(await fetch(`${root}events/${graceid}/labels/`))).labels, []);

    const { superevent_id: id } = await createSuperevent(String(graceid));
    const added = await call(`superevents/${id}/labels/`, { method: 'POST', body: new URLSearchParams({ name: 'SKYMAP_READY' }) });
    assert.equal(added.status, 201);
    assert.equal((await json(added)).self, `${root}superevents/${id}/labels/SKYMAP_READY/`);
    assert.equal((await call(`superevents/${id}/labels/SKYMAP_READY`, { method: 'DELETE' })).status, 204);
    assert.deepEqual((await json(await fetch(`${root}superevents/${id}/labels/`))).labels, []);
  });

  test('logs with and without a file, their tags, the file list and raw downloads', async () => {
    const { graceid } = await createTestEvent();
    const plain = await sendJson('POST', `events/${graceid}/log/`, { comment: 'plugh', tagname: ['emfollow', 'p_astro'] });
    assert.equal(plain.status, 201);
    const plainLog = await json(plain);
    assert.equal(plainLog.filename, '');
    assert.deepEqual(plainLog.tag_names, ['emfollow', 'p_astro']);
    const form = new FormData();
    form.append('comment', 'plugh');
    form.append('tagname', 'emfollow');
    form.append('upload', new Blob(['bar']), 'foo.txt');
    const withFile = await call(`events/${graceid}/log/`, { method: 'POST', body: form });
    assert.equal(withFile.status, 201);
    assert.equal((await json(withFile)).filename, 'foo.txt');
    const logs = (await json(await fetch(`${root}events/${graceid}/log/`))).log as Record<string, unknown>[];
    assert.equal(logs[0].filename, 'coinc.xml');
    const files = await json(await fetch(`${root}events/${graceid}/files/`));
    assert.equal(files['foo.txt'], `${root}events/${graceid}/files/foo.txt`);
    assert.ok('foo.txt,0' in files);
    assert.equal(await (await fetch(`${root}events/${graceid}/files/foo.txt`)).text(), 'bar');

    assert.equal((await call(`events/${graceid}/log/1/tag/em_bright`, { method: 'PUT' })).status, 201);
    assert.deepEqual(
      ((await json(await fetch(`${root}events/${graceid}/log/1/tag/`))).tags as { name: string }[]).map((tag) => tag.name),
      ['em_bright'],
    );
    assert.equal((await call(`events/${graceid}/log/1/tag/em_bright`, { method: 'DELETE' })).status, 204);
    assert.deepEqual((await json(await fetch(`${root}events/${graceid}/log/1/tag/`))).tags, []);

    const { superevent_id: id } = await createSuperevent(String(graceid));
    const superLog = await json(await sendJson('POST', `superevents/${id}/logs/`, { comment: 'plugh', tagname: [] }));
    assert.equal(superLog.filename, '');
    assert.ok(!('tags' in superLog), 'no tags link on superevent logs');
    assert.equal(
      (await call(`superevents/${id}/logs/1/tags/`, { method: 'POST', body: new URLSearchParams({ name: 'em_bright' }) })).status,
      201,
    );
    assert.deepEqual(
      ((await json(await fetch(`${root}superevents/${id}/logs/1/tags/`))).tags as { name: string }[]).map((tag) => tag.name),
      ['em_bright'],
    );
    assert.equal((await call(`superevents/${id}/logs/1/tags/em_bright/`, { method: 'DELETE' })).status, 204);
  });

  test('VOEvents are named {id}-{N}-{Type}.xml; expose/hide; sign-offs: ADV OK replaces ADVREQ, an operator may not do an instrument sign-off', async () => {
    const { graceid } = await createTestEvent();
    const voevent = await call(`events/${graceid}/voevent/`, {
      method: 'POST',
      body: new URLSearchParams({ voevent_type: 'EW', CoincComment: 'false' }),
    });
    assert.equal(voevent.status, 201, await voevent.clone().text());
    assert.equal((await json(voevent)).filename, `${graceid}-1-EarlyWarning.xml`);
    const list = (await json(await fetch(`${root}events/${graceid}/voevent/`))).voevents as { filename: string }[];
    assert.deepEqual(
      list.map((v) => v.filename),
      [`${graceid}-1-EarlyWarning.xml`],
    );
    assert.match(await (await fetch(`${root}events/${graceid}/files/${graceid}-1-EarlyWarning.xml`)).text(), /<voe:VOEvent/);

    const { superevent_id: id } = await createSuperevent(String(graceid));
    const publicView = async () =>
      ((await json(await fetch(`${root}superevents/${id}/permissions/`))).permissions as { group: string; permission: string }[]).some(
        (row) => row.group === 'public_users' && row.permission === 'view_superevent',
      );
    assert.equal(await publicView(), false);
    assert.equal(
      (await call(`superevents/${id}/permissions/modify/`, { method: 'POST', body: new URLSearchParams({ action: 'expose' }) })).status,
      201,
    );
    assert.equal(await publicView(), true);
    await call(`superevents/${id}/permissions/modify/`, { method: 'POST', body: new URLSearchParams({ action: 'hide' }) });
    assert.equal(await publicView(), false);

    await call(`superevents/${id}/labels/`, { method: 'POST', body: new URLSearchParams({ name: 'ADVREQ' }) });
    const advocate = await call(`superevents/${id}/signoffs/`, {
      method: 'POST',
      body: new URLSearchParams({ signoff_type: 'ADV', instrument: '', status: 'OK', comment: 'foo' }),
    });
    assert.equal(advocate.status, 201, await advocate.clone().text());
    const labels = ((await json(await fetch(`${root}superevents/${id}/labels/`))).labels as { name: string }[]).map((l) => l.name);
    assert.ok(labels.includes('ADVOK') && !labels.includes('ADVREQ'), labels.join());
    // The advocate's OK reaches the orchestrator as GraceDB's label_added message does: its INITIAL alert is queued, once.
    await call(`superevents/${id}/labels/`, { method: 'POST', body: new URLSearchParams({ name: 'ADVOK' }) });
    const client = await connectClient(t.config);
    try {
      const queued = (await client.queue('kafka').getJobs(['waiting', 'active', 'completed', 'failed'])).filter(
        (job) => job.name === 'gwqueue.tasks.orchestrator.handle_label',
      );
      assert.deepEqual(
        queued.map((job) => (job.data as { args: unknown[] }).args),
        [[id, 'ADVOK']],
      );
    } finally {
      await client.close();
    }
    const operator = { signoff_type: 'OP', instrument: 'H1', status: 'OK', comment: 'foo' };
    const refused = await call(`superevents/${id}/signoffs/`, { method: 'POST', body: new URLSearchParams(operator) });
    assert.equal(refused.status, 403);
    assert.ok('detail' in (await json(refused)));
    const byAdmin = await fetch(`${root}superevents/${id}/signoffs/`, {
      method: 'POST',
      headers: AS_ADMIN,
      body: new URLSearchParams(operator),
    });
    assert.equal(byAdmin.status, 201);
    const signoffs = (await json(await fetch(`${root}superevents/${id}/signoffs/`))).signoffs as { signoff_type: string }[];
    assert.deepEqual(signoffs.map((s) => s.signoff_type).sort(), ['ADV', 'OP']);
  });

  test('who may write: an API token (Basic or Bearer); never nobody, a viewer, a wrong password or a proxy-identified browser', async () => {
    const body = () => eventForm({ group: 'Test', pipeline: 'gstlal' }, { name: 'coinc.xml', contents: COINC });
    const before = Number((await json(await fetch(`${root}events/?query=Test&count=1`))).numRows);
    const anonymous = await fetch(`${root}events/`, { method: 'POST', body: body() });
    assert.equal(anonymous.status, 403);
    assert.ok('detail' in (await json(anonymous)));
    const viewer = await fetch(`${root}events/`, { method: 'POST', body: body(), headers: { authorization: `Bearer ${VIEWER_TOKEN}` } });
    assert.equal(viewer.status, 403);
    const wrong = await fetch(`${root}events/`, { method: 'POST', body: body(), headers: basic('robot', 'not-the-token-0123456789') });
    assert.equal(wrong.status, 401);
    assert.ok('detail' in (await json(wrong)));
    const otherUser = await fetch(`${root}events/`, {
      method: 'POST',
      body: body(),
      headers: basic('someone.else', 'operator-token-0123456789abcdef'),
    });
    assert.equal(otherUser.status, 401, 'a token is only the password of its own user');
    const proxied = await fetch(`${root}events/`, { method: 'POST', body: body(), headers: { 'x-proxy-remote-user': 'albert.einstein' } });
    assert.equal(proxied.status, 403);
    assert.match(String((await json(proxied)).detail), /never a browser session/);
    assert.equal(Number((await json(await fetch(`${root}events/?query=Test&count=1`))).numRows), before, 'nothing written');
    // Writes need no CSRF token and get no session cookie.
    const bearer = await fetch(`${root}events/`, { method: 'POST', body: body(), headers: AS_ADMIN });
    assert.equal(bearer.status, 201);
    assert.equal(bearer.headers.get('set-cookie'), null);
    const { entries: audit } = await listAudit(t.client, t.config, { action: 'gracedb.event.create', limit: 500 });
    assert.ok(audit.some((entry) => entry.action === 'gracedb.event.create' && entry.user === 'chief' && entry.outcome === 'accepted'));
    assert.ok(audit.some((entry) => entry.action === 'gracedb.event.create' && entry.outcome === 'unauthorized'));
  });
});
