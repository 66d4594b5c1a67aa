// GraceDB API writes: an Idempotency-Key makes one write whatever the retries; bad input is a GraceDB-style 4xx that writes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { coincXml } from '../gracedb/sample-files.js';
import { AS_OPERATOR, eventForm, json, type ApiFixture, API_ACCESS, withApiClient } from './api-client.js';
import { startInProcess } from '../helpers/in-process.js';

const COINC = coincXml({ endTime: 1000000001, endTimeNs: 0, far: 1e-9 });

describe('GraceDB API: writes made once, bad input refused', () => {
  let t: ApiFixture;
  let root: string;
  const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(new URL(path, root), { method: 'POST', body, headers: { ...AS_OPERATOR, ...headers } });
  const upload = (fields: Record<string, string> = {}, file = { name: 'coinc.xml', contents: COINC as string | Buffer }) =>
    eventForm({ group: 'Test', pipeline: 'gstlal', ...fields }, file);
  const eventCount = async () => Number((await json(await fetch(`${root}events/?count=1`))).numRows);

  before(async () => {
    t = withApiClient(await startInProcess({ listen: true, env: API_ACCESS }));
    root = t.root;
  });
  after(() => t?.stop());

  test('the same Idempotency-Key makes one event: a retry gets the first answer, a key used for another request 409', async () => {
    const before = await eventCount();
    const key = 'event-create-key-0001';
    const first = await post('events/', upload(), { 'idempotency-key': key });
    assert.equal(first.status, 201);
    const created = await json(first);
    const again = await post('events/', upload(), { 'idempotency-key': key });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(await json(again), created);
    const other = await post('events/', upload({ search: 'AllSky' }), { 'idempotency-key': key });
    assert.equal(other.status, 409);
    assert.match(String((await json(other)).detail), /already used for another request/);
    assert.equal(await eventCount(), before + 1);
  });

  test('two requests with one key at the same time make one event', async () => {
    const before = await eventCount();
    const key = 'event-create-key-0002';
    const answers = await Promise.all([0, 1, 2].map(() => post('events/', upload(), { 'idempotency-key': key })));
    const bodies = await Promise.all(answers.map((answer) => json(answer)));
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [201, 201, 201],
    );
    assert.equal(new Set(bodies.map((body) => body.graceid)).size, 1);
    assert.equal(await eventCount(), before + 1);
  });

  test('a log entry sent twice with one key is written once', async () => {
    const { graceid } = await json(await post('events/', upload()));
    const send = () =>
      post(`events/${graceid}/log/`, JSON.stringify({ comment: 'once', tagname: [] }), {
        'content-type': 'application/json',
        'idempotency-key': 'log-create-key-00001',
      });
    const first = await json(await send());
    const second = await json(await send());
    assert.equal(second.N, first.N);
    const logs = (await json(await fetch(`${root}events/${graceid}/log/`))).log as { comment: string }[];
    assert.equal(logs.filter((log) => log.comment === 'once').length, 1);
  });

  test('unknown IDs are 404 with a detail; unknown group or pipeline, a bad event file or key are 400; nothing is written', async () => {
    const before = await eventCount();
    for (const path of ['events/G999999', 'superevents/S991231zz/', 'events/T999999/log/', 'superevents/S991231zz/labels/']) {
      const response = await fetch(`${root}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal(typeof (await json(response)).detail, 'string', path);
    }
    const wrongMethod = await fetch(`${root}events/`, { method: 'DELETE', headers: AS_OPERATOR });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'GET, POST, OPTIONS');
    assert.deepEqual(await json(wrongMethod), { detail: 'Method "DELETE" not allowed.' });
    const unknownPath = await fetch(`${root}no-such-thing/`);
    assert.equal(unknownPath.status, 404);
    assert.deepEqual(await json(unknownPath), { detail: 'Not found.' });

    const cases: [string, FormData | string, Record<string, string>, RegExp][] = [
      ['unknown group', upload({ group: 'Nope' }), {}, /group/],
      ['unknown pipeline', upload({ pipeline: 'nope' }), {}, /pipeline/],
      [
        'no event file',
        (() => {
          const f = new FormData();
          f.append('group', 'Test');
          f.append('pipeline', 'gstlal');
          return f;
        })(),
        {},
        /eventFile/,
      ],
      ['not an event file', upload({}, { name: 'coinc.xml', contents: 'just some text' }), {}, /cannot read coinc\.xml/],
      ['a path in the file name', upload({}, { name: '../../etc/passwd', contents: COINC }), {}, /not a usable file name/],
      ['a bad Idempotency-Key', upload(), { 'idempotency-key': 'k'.repeat(300) }, /Idempotency-Key/],
    ];
    for (const [what, body, headers, detail] of cases) {
      const response = await post('events/', body, headers);
      assert.equal(response.status, 400, what);
      assert.match(String((await json(response)).detail), detail, what);
    }
    const notJson = await post('superevents/', '{"preferred_event": ', { 'content-type': 'application/json' });
    assert.equal(notJson.status, 400);
    assert.ok('detail' in (await json(notJson)));
    assert.equal(await eventCount(), before, 'nothing was written');
  });

  test('a 50 MB event file is refused with 413 as it streams in, and nothing is written', async () => {
    const before = await eventCount();
    const big = Buffer.alloc(50 * 1024 * 1024, 0x20);
    const started = Date.now();
    const response = await post('events/', upload({}, { name: 'coinc.xml', contents: big })).catch((error: Error) => error);
    // The server may close the connection before the client has sent everything: a refused upload either way.
    if (response instanceof Response) {
      assert.equal(response.status, 413);
      assert.match(String((await json(response)).detail), /larger than/);
    }
    assert.ok(Date.now() - started < 10_000);
    assert.equal(await eventCount(), before);
  });

  test('file names with a path are refused on download too', async () => {
    const { graceid } = await json(await post('events/', upload()));
    for (const name of ['..%2F..%2Fetc%2Fpasswd', '..%5C..%5Cwin.ini', '%2Fetc%2Fpasswd']) {
      const response = await fetch(`${root}events/${graceid}/files/${name}`);
      assert.ok(response.status === 400 || response.status === 404, `${name}: ${response.status}`);
      assert.ok('detail' in (await json(response)), name);
    }
  });
});
