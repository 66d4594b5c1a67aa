// File results (gracedb.download) on the task page and in the JSON API: text shown as text, a download under the file's own name and type.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, type InProcess } from '../helpers/in-process.js';
import { uploadEvent } from '../../src/tasks/first2years.js';
import { download } from '../../src/tasks/gracedb.js';
import { add } from '../../src/tasks/core.js';
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
    assert.match(page.text, /<pre class="small mb-0 result">&lt;\?xml version/, 'the XML as text, escaped');
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
});
