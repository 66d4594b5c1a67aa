// Generated bad input for every form field (browser and API): never a 500, never anything enqueued, never echoed unescaped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, browser, API_TOKEN, type InProcess } from '../helpers/in-process.js';
import { OPERATOR_FORMS } from '../../src/forms/registry.js';

const MARKER = '<script>alert("x")</script>';

/** Values no form accepts for a text field: empty, huge, unicode, control characters, markup, wrong shapes. */
function badValues(): string[] {
  return [
    '',
    ' ',
    'x'.repeat(65),
    'x'.repeat(5000),
    'S240101A',
    'S240101a\u0000',
    'S24\u202e0101a',
    'Ｓ240101a',
    '😀',
    '\r\nSet-Cookie: a=b',
    MARKER,
    `S240101a${MARKER}`,
    '../../etc/passwd',
    "' OR 1=1 --",
    '${7*7}',
    '<%= 7*7 %>',
    'G-1',
    'E',
    'name,',
    ',0',
    'name,version',
  ];
}

describe('bad input, generated', () => {
  let fx: InProcess;
  before(async () => {
    fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
  });
  after(async () => {
    await fx?.stop();
  });

  test('every text field of every form, through the browser path and the API', async () => {
    const { agent, headers, tokens } = await browser(fx.app);
    const before = await fx.jobCount();
    let cases = 0;
    for (const form of OPERATOR_FORMS) {
      const textFields = form.fields.filter((field) => !field.checkbox);
      for (const field of textFields) {
        // An optional field (the mock event's search) takes an empty value: it is no bad input there.
        for (const value of badValues().filter((bad) => !field.schema.safeParse(bad).success)) {
          const valid: Record<string, string> = {
            superevent_id: 'S240101a',
            event_id: 'G1',
            ext_id: 'E1',
            skymap_filename: 'a.fits,0',
            em_bright_filename: 'b.json,0',
            p_astro_filename: 'c.json,0',
            sky_localization: 'on',
          };
          const body: Record<string, string> = {};
          for (const f of form.fields) body[f.name] = valid[f.name];
          body[field.name] = value;
          const t = await tokens(form.name);
          const page = await agent
            .post(`/${form.name}`)
            .set(headers)
            .type('form')
            .send({ ...body, _csrf: t.csrf, submission_token: t.submission, confirmed: 'yes' });
          assert.ok(
            page.status === 422 || page.status === 413,
            `${form.name}.${field.name}=${JSON.stringify(value).slice(0, 40)} → ${page.status}`,
          );
          assert.ok(!page.text.includes(MARKER), 'markup is never echoed unescaped');
          const api = await request(fx.app)
            .post(`/${form.name}`)
            .set('Authorization', `Bearer ${API_TOKEN}`)
            .set('Accept', 'application/json')
            .send(body);
          assert.equal(api.status, 422, `API ${form.name}.${field.name}`);
          cases += 2;
        }
        // Wrong shapes: arrays, objects and numbers instead of one string.
        for (const shape of [['S240101a', 'S240101b'], { nested: 'S240101a' }, 42, null, true]) {
          const api = await request(fx.app)
            .post(`/${form.name}`)
            .set('Authorization', `Bearer ${API_TOKEN}`)
            .set('Accept', 'application/json')
            .send({ [field.name]: shape });
          assert.equal(api.status, 422, `API ${form.name}.${field.name} as ${JSON.stringify(shape)}`);
          cases += 1;
        }
        for (const raw of [`${field.name}[]=S240101a`, `${field.name}[a]=S240101a`, `${field.name}=a&${field.name}=b`]) {
          const api = await request(fx.app)
            .post(`/${form.name}`)
            .set('Authorization', `Bearer ${API_TOKEN}`)
            .set('Accept', 'application/json')
            .type('form')
            .send(raw);
          assert.equal(api.status, 422, `API ${form.name} ${raw}`);
          cases += 1;
        }
      }
    }
    // Bodies that are not bodies: huge, malformed JSON, wrong content type.
    const huge = await request(fx.app)
      .post('/send_mock_event')
      .set('Authorization', `Bearer ${API_TOKEN}`)
      .set('Accept', 'application/json')
      .type('json')
      .send(`{"a":"${'x'.repeat(100_000)}"}`);
    assert.equal(huge.status, 413);
    const malformed = await request(fx.app)
      .post('/send_mock_event')
      .set('Authorization', `Bearer ${API_TOKEN}`)
      .set('Accept', 'application/json')
      .type('json')
      .send('{"a":');
    assert.equal(malformed.status, 400);
    // Bodies the console would not read: refused, never run as a form without fields (a mock event with its defaults).
    const unread: [string, string, number, RegExp][] = [
      ['text/plain', 'group=Burst', 415, /The request body is text\/plain; send form fields/],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="group"\r\n\r\nBurst\r\n--x--\r\n',
        415,
        /multipart\/form-data/,
      ],
      ['application/json', '[{"group":"Burst"}]', 400, /must be an object of fields/],
    ];
    for (const [type, body, status, message] of unread) {
      const res = await request(fx.app)
        .post('/send_mock_event')
        .set('Authorization', `Bearer ${API_TOKEN}`)
        .set('Accept', 'application/json')
        .set('Content-Type', type)
        .send(body);
      assert.equal(res.status, status, `${type}: ${res.text}`);
      assert.match(res.body.error, message);
    }
    // A header the console reads once, sent twice: Node would keep the first (or join them); refused, naming it.
    const twice: [string, string[]][] = [
      ['Authorization', [`Bearer ${API_TOKEN}`, 'Bearer another-token-0123456789']],
      ['Content-Type', ['application/x-www-form-urlencoded', 'text/plain']],
      ['Origin', ['http://127.0.0.1', 'http://attacker.invalid']],
      ['X-Proxy-Remote-User', ['albert.einstein', 'someone.else']],
      ['Host', ['127.0.0.1', 'attacker.invalid']],
    ];
    const server = fx.app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      for (const [name, values] of twice) {
        // Raw header lines (superagent would refuse two Content-Types): one line per value.
        const lines = [
          // Raw header lines carry no Host unless given (Node's server refuses a request without one).
          'Host',
          `127.0.0.1:${(server.address() as AddressInfo).port}`,
          'Authorization',
          `Bearer ${API_TOKEN}`,
          'Accept',
          'application/json',
          'Content-Type',
          'application/x-www-form-urlencoded',
        ];
        for (let i = 0; i < lines.length; i += 2) if (lines[i] === name) lines.splice(i, 2);
        for (const value of values) lines.push(name, value);
        const { status, body } = await new Promise<{ status: number; body: { field?: string; error?: string } }>((resolve, reject) => {
          const req = http.request({
            host: '127.0.0.1',
            port: (server.address() as AddressInfo).port,
            path: '/send_mock_event',
            method: 'POST',
            headers: lines,
          });
          req.on('response', (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                body: text.startsWith('{') ? JSON.parse(text) : { error: `${res.statusCode} ${text}` },
              }),
            );
          });
          req.on('error', reject);
          req.end('confirmed=yes');
        });
        assert.equal(status, 400, `${name} twice: ${JSON.stringify(body)}`);
        assert.equal(body.field, name);
        assert.match(body.error ?? '', new RegExp(`The ${name} header was sent 2 times`));
      }
    } finally {
      server.close();
    }
    cases += 2 + unread.length + twice.length;
    assert.equal(await fx.jobCount(), before, 'nothing was enqueued');
    console.log(`bad-input cases tried: ${cases}`);
    assert.ok(cases > 300);
  });

  test("the task API's ?wait: anything but 0 to 30 seconds is a 400 naming it, answered at once", async () => {
    const task = await request(fx.app)
      .post('/send_mock_event')
      .set('Authorization', `Bearer ${API_TOKEN}`)
      .set('Accept', 'application/json')
      .send({});
    assert.equal(task.status, 202, task.text);
    const id = task.body.id as string;
    const bad = ['', ' ', '-1', '30.5', '31', '1e3', 'NaN', 'Infinity', 'ten', '0x10', MARKER, '5\u0000', 'x'.repeat(5000)];
    const raws = ['wait=1&wait=2', 'wait=&wait=1'];
    for (const query of [...bad.map((value) => `wait=${encodeURIComponent(value)}`), ...raws]) {
      const started = Date.now();
      const res = await request(fx.app).get(`/api/tasks/${id}?${query}`).set('Authorization', `Bearer ${API_TOKEN}`);
      assert.equal(res.status, 400, `?${query.slice(0, 40)} → ${res.status}`);
      assert.deepEqual(res.body.fields, { wait: 'must be a number of seconds from 0 to 30' });
      assert.ok(!res.text.includes(MARKER), 'markup is never echoed');
      assert.ok(Date.now() - started < 1000, 'refused at once, not after a wait');
    }
    // The query parser keeps brackets in names: `wait[]` and `wait[a]` are other, unknown parameters, ignored.
    for (const query of ['wait[]=5', 'wait[a]=5']) {
      const started = Date.now();
      await request(fx.app).get(`/api/tasks/${id}?${query}`).set('Authorization', `Bearer ${API_TOKEN}`).expect(200);
      assert.ok(Date.now() - started < 1000, `?${query} does not wait`);
    }
    console.log(`task API ?wait cases tried: ${bad.length + raws.length + 2}`);
  });
});
