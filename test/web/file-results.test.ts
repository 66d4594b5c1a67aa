// File results (gracedb.download) on the task page and in the JSON API: text shown as text, a download under the file's own name and type.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, type InProcess } from '../helpers/in-process.js';
import { uploadEvent } from '../../src/tasks/first2years.js';
import { download } from '../../src/tasks/gracedb.js';
import { add, echo } from '../../src/tasks/core.js';
import { circularText } from '../../src/tasks/circular-result.js';
import { resetServices, setServicesForTest } from '../../src/tasks/services.js';

interface FileJson {
  name: string;
  contentType: string;
  size: number;
  text?: string;
  url: string;
}

/** Raw bytes of a response (supertest only buffers text types by itself). */
const bytesOf = (res: request.Response) => res.body as Buffer;
const binary = (res: request.Response, done: (error: Error | null, body: Buffer) => void) => {
  const stream = res as unknown as import('node:http').IncomingMessage;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

describe('file results', () => {
  let fx: InProcess;
  let graceid: string;
  before(async () => {
    fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
    // Tasks run in this process: their GraceDB is the console's embedded one in the test's Redis.
    setServicesForTest({ config: fx.engine.config });
    await fx.engine.startWorker({ name: 'files@test' });
    graceid = ((await (await uploadEvent.delay()).get({ timeout: 20 })) as { graceid: string }).graceid;
  });
  after(async () => {
    await fx?.stop();
    await resetServices();
  });

  test('a text file (coinc.xml) is text on the page and in the API, and downloads with its name and type', async () => {
    const handle = await download.delay('coinc.xml,0', graceid);
    const stored = (await handle.get({ timeout: 10 })) as { base64: string; filename: string };
    assert.equal(stored.filename, 'coinc.xml', 'the version suffix is not part of the name');
    const original = await fx.gracedb.download('coinc.xml', graceid);

    const api = await request(fx.app).get(`/api/tasks/${handle.id}`).expect(200);
    const file = (api.body.result as { file: FileJson }).file;
    assert.deepEqual(
      { ...file, text: undefined },
      {
        name: 'coinc.xml',
        contentType: 'application/xml; charset=utf-8',
        size: original.length,
        text: undefined,
        url: `/api/tasks/${handle.id}/file`,
      },
    );
    assert.equal(file.text, original.toString('utf8'));
    assert.ok(!JSON.stringify(api.body).includes(stored.base64.slice(0, 40)), 'no base64 in the API answer');
    const dashboard = await request(fx.app).get(`/flower/api/tasks/${handle.id}`).expect(200);
    assert.deepEqual(dashboard.body.result, api.body.result, "the dashboard's task API describes the file the same way");

    const got = await request(fx.app).get(file.url).buffer(true).parse(binary).expect(200);
    assert.equal(got.headers['content-disposition'], 'attachment; filename=coinc.xml');
    assert.equal(got.headers['content-type'], 'application/xml; charset=utf-8');
    assert.equal(got.headers['x-content-type-options'], 'nosniff');
    assert.ok(bytesOf(got).equals(original), 'the exact bytes');

    const page = await request(fx.app).get(`/tasks/${handle.id}`).expect(200);
    assert.match(page.text, /<pre class="small mb-0 result" id="result-text" tabindex="0">&lt;\?xml version/, 'the XML as text, escaped');
    assert.match(
      page.text,
      new RegExp(`<a href="/api/tasks/${handle.id}/file" download="coinc.xml" id="result-download">Download coinc.xml</a>`),
    );
    assert.doesNotMatch(page.text, /base64/);
  });

  test('a binary file (FITS) is offered for download only; a task without a file result has none', async () => {
    const handle = await download.delay('bayestar.multiorder.fits', graceid);
    await handle.get({ timeout: 10 });
    const original = await fx.gracedb.download('bayestar.multiorder.fits', graceid);
    const file = ((await request(fx.app).get(`/api/tasks/${handle.id}`).expect(200)).body.result as { file: FileJson }).file;
    assert.deepEqual(file, {
      name: 'bayestar.multiorder.fits',
      contentType: 'application/fits',
      size: original.length,
      url: `/api/tasks/${handle.id}/file`,
    });
    const got = await request(fx.app).get(file.url).buffer(true).parse(binary).expect(200);
    assert.equal(got.headers['content-disposition'], 'attachment; filename=bayestar.multiorder.fits');
    assert.equal(got.headers['content-type'], 'application/fits');
    assert.ok(bytesOf(got).equals(original));
    const page = await request(fx.app).get(`/tasks/${handle.id}`).expect(200);
    assert.match(page.text, /Download bayestar\.multiorder\.fits<\/a> \(not shown here: binary\)/);
    assert.doesNotMatch(page.text, /SIMPLE|base64/);

    const sum = await add.delay(1, 2);
    await sum.get({ timeout: 10 });
    const none = await request(fx.app).get(`/api/tasks/${sum.id}/file`).expect(404);
    assert.match(none.body.error, /has no file to download: its result is not a file/);
    assert.equal((await request(fx.app).get(`/api/tasks/${sum.id}`).expect(200)).body.result, 3, 'other results unchanged');
    await request(fx.app).get('/api/tasks/no-such-task/file').expect(404);
  });

  test('a circular is text on the page (lines, not \\n escapes) with a .txt download and a copy button; JSON in the API', async () => {
    const subject = 'LIGO/Virgo/KAGRA S240101a: Updated Sky localization';
    const body = 'The LIGO Scientific Collaboration <and> the Virgo Collaboration report:\n\nWe have an updated sky map.';
    const circular = { superevent_id: 'S240101a', subject, body, text: circularText({ subject, body }) };
    // What a circular task returns, through echo: the page shows any task's circular result the same way.
    const handle = await echo.delay(circular);
    await handle.get({ timeout: 10 });

    const page = await request(fx.app).get(`/tasks/${handle.id}`).expect(200);
    assert.match(page.text, /Result: a circular/);
    const pre = /<pre class="[^"]*" id="result-text"[^>]*>([\s\S]*?)<\/pre>/.exec(page.text)?.[1];
    assert.equal(
      pre,
      `SUBJECT: ${subject}\n\nThe LIGO Scientific Collaboration &lt;and&gt; the Virgo Collaboration report:\n\nWe have an updated sky map.\n`,
    );
    // The result card (echo's arguments, shown above it, are the JSON they are).
    const card = page.text.slice(page.text.indexOf('id="result"'), page.text.indexOf('</pre>', page.text.indexOf('id="result-text"')));
    assert.doesNotMatch(card, /\\n|&#34;subject&#34;/, 'no JSON, no escaped newlines');
    assert.match(page.text, new RegExp(`<a href="/api/tasks/${handle.id}/file" download="S240101a-circular.txt" id="result-download">`));
    assert.match(
      page.text,
      /<button type="button" class="btn btn-sm btn-outline-secondary" data-copy="result-text" hidden>Copy the text<\/button>/,
    );

    const download = await request(fx.app).get(`/api/tasks/${handle.id}/file`).expect(200);
    assert.equal(download.headers['content-disposition'], 'attachment; filename=S240101a-circular.txt');
    assert.equal(download.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(download.text, circular.text);

    const api = await request(fx.app).get(`/api/tasks/${handle.id}`).expect(200);
    assert.deepEqual(api.body.result, circular, 'the API keeps the JSON');

    // An object with a text that is not its subject and body is no circular: shown as the JSON it is.
    const other = await echo.delay({ superevent_id: 'S240101a', subject, body, text: 'something else' });
    await other.get({ timeout: 10 });
    const otherPage = await request(fx.app).get(`/tasks/${other.id}`).expect(200);
    assert.doesNotMatch(otherPage.text, /Result: a circular|data-copy/);
    assert.match(otherPage.text, /&#34;text&#34;: &#34;something else&#34;/);
  });
});
