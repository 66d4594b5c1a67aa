// GWCelery's Download/Upload External Sky Map over HTTP (real console process, real worker, embedded GraceDB) against a
// loopback HTTP server: a refused host or scheme is a field error with nothing queued; the worker downloads within the
// size and time limits, checks FITS, uploads external_from_url.* (sky_loc) with a PNG of a multi-order map and labels
// EXT_SKYMAP_READY; `gwqueue chain`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { runCli } from '../helpers/cli.js';
import { formStack, withFormClient, type FormStack } from './form-client.js';
import { startProcesses } from '../helpers/real-processes.js';
import { writeSkymap } from '../../src/tasks/skymap-fits.js';

const FORM = 'download_upload_external_skymap';
const MAX_BYTES = 200_000;
const TIMEOUT_SECONDS = 2;

/** A flat (all-sky, NSIDE 1, NESTED) HEALPix map in FITS, as Fermi GBM publishes them: 12 rows of PROB. */
function flatSkymap(): Buffer {
  const block = (cards: string[]) => {
    const text = [...cards, 'END'].map((card) => card.padEnd(80)).join('');
    return Buffer.from(text.padEnd(Math.ceil(text.length / 2880) * 2880), 'ascii');
  };
  const value = (key: string, text: string) => `${key.padEnd(8)}= ${text}`;
  const primary = block([value('SIMPLE', 'T'.padStart(20)), value('BITPIX', '8'.padStart(20)), value('NAXIS', '0'.padStart(20))]);
  const table = block([
    value('XTENSION', "'BINTABLE'"),
    value('BITPIX', '8'.padStart(20)),
    value('NAXIS', '2'.padStart(20)),
    value('NAXIS1', '8'.padStart(20)),
    value('NAXIS2', '12'.padStart(20)),
    value('PCOUNT', '0'.padStart(20)),
    value('GCOUNT', '1'.padStart(20)),
    value('TFIELDS', '1'.padStart(20)),
    value('TTYPE1', "'PROB    '"),
    value('TFORM1', "'D       '"),
    value('PIXTYPE', "'HEALPIX '"),
    value('ORDERING', "'NESTED  '"),
    value('INDXSCHM', "'IMPLICIT'"),
    value('NSIDE', '1'.padStart(20)),
  ]);
  const data = Buffer.alloc(2880);
  for (let row = 0; row < 12; row += 1) data.writeDoubleBE(row === 4 ? 0.45 : 0.05, row * 8);
  return Buffer.concat([primary, table, data]);
}

describe('download_upload_external_skymap (GWCelery compatibility)', () => {
  let stack: FormStack;
  let server: http.Server;
  let base: string;
  let port: number;
  let extId: string;
  const requests: string[] = [];
  const moc = writeSkymap({
    objectId: 'GRB240101A',
    dateObs: '2024-01-01T00:00:00Z',
    instruments: ['Fermi'],
    area90: 400,
    distMean: 100,
    distStd: 10,
    basePixel: 9,
  });
  const flat = flatSkymap();

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      switch (req.url) {
        case '/moc.fits':
          return res.writeHead(200, { 'Content-Type': 'application/fits' }).end(moc);
        case '/flat.fits':
          return res.writeHead(200).end(flat);
        case '/page.html':
          return res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!DOCTYPE html><html><body>Not here</body></html>');
        case '/missing.fits':
          return res.writeHead(404).end('no');
        case '/declared-big.fits':
          return res.writeHead(200, { 'Content-Length': String(MAX_BYTES * 10) }).end();
        case '/endless.fits': {
          // No declared length: the worker must stop reading once the limit is passed.
          res.writeHead(200);
          const chunk = Buffer.alloc(16_384, 0x20);
          const pump = () => {
            while (!res.destroyed && res.write(chunk));
            if (!res.destroyed) res.once('drain', pump);
          };
          return pump();
        }
        case '/slow.fits':
          // A few bytes, then nothing: only the time limit ends this download.
          res.writeHead(200);
          return res.write(moc.subarray(0, 100));
        case '/redirect-in':
          return res.writeHead(302, { Location: '/moc.fits' }).end();
        case '/redirect-out':
          return res.writeHead(302, { Location: `http://localhost:${port}/moc.fits` }).end();
        default:
          return res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    stack = withFormClient(
      await startProcesses(
        formStack({
          GWQUEUE_EXTERNAL_SKYMAP_HOSTS: 'heasarc.gsfc.nasa.gov,127.0.0.1',
          GWQUEUE_EXTERNAL_SKYMAP_MAX_BYTES: String(MAX_BYTES),
          GWQUEUE_EXTERNAL_SKYMAP_TIMEOUT: String(TIMEOUT_SECONDS),
        }),
      ),
    );
    const external = await stack.services.gracedb.createEvent({
      group: 'External',
      pipeline: 'Fermi',
      search: 'GRB',
      filename: 'grb.json',
      filecontents: JSON.stringify({ gpstime: 1_388_000_000, instruments: 'Fermi' }),
    });
    extId = external.graceid;
  });
  after(async () => {
    await stack?.stop();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function run(url: string) {
    return stack.run(FORM, { ext_id: extId, skymap_url: url });
  }

  test('GET is 405', async () => {
    assert.equal((await fetch(`${stack.url}/${FORM}`)).status, 405);
  });

  test('refused in the form: a host off the allow-list, another scheme, bad IDs; 422 per field, nothing queued or fetched', async () => {
    const before = await stack.jobCount();
    const fetched = requests.length;
    const offList = await stack.post(FORM, { ext_id: extId, skymap_url: `http://localhost:${port}/moc.fits` });
    assert.equal(offList.status, 422);
    assert.deepEqual(offList.body.fields, {
      skymap_url: `is on host localhost:${port}, which is not on the allow-list (GWQUEUE_EXTERNAL_SKYMAP_HOSTS: heasarc.gsfc.nasa.gov, 127.0.0.1)`,
    });
    const ftp = await stack.post(FORM, { ext_id: extId, skymap_url: 'ftp://127.0.0.1/moc.fits' });
    assert.deepEqual([ftp.status, ftp.body.fields], [422, { skymap_url: 'must be an http:// or https:// URL' }]);
    const credentials = await stack.post(FORM, { ext_id: extId, skymap_url: `http://user:pw@127.0.0.1:${port}/moc.fits` });
    assert.deepEqual(credentials.body.fields, { skymap_url: 'must not carry a user name or password' });
    const empty = await stack.post(FORM, { ext_id: 'G1234' });
    assert.deepEqual(empty.body.fields, { ext_id: 'must look like E123456', skymap_url: 'is required' });
    assert.equal(await stack.jobCount(), before, 'nothing queued');
    assert.equal(requests.length, fetched, 'nothing fetched by the console');
  });

  test('a multi-order FITS map: downloaded by the worker, uploaded as external_from_url.multiorder.fits (sky_loc), EXT_SKYMAP_READY', async () => {
    const { gracedb } = stack.services;
    const task = await run(`${base}/moc.fits`);
    assert.equal(task.state, 'completed', JSON.stringify(task.error));
    assert.deepEqual(task.result, {
      ext_id: extId,
      filename: 'external_from_url.multiorder.fits',
      file_version: 0,
      bytes: moc.length,
      multiorder: true,
      png: { filename: 'external_from_url.png' },
      label: 'EXT_SKYMAP_READY',
      source: `${base}/moc.fits`,
    });
    const entry = (await gracedb.getLogs(extId)).find((log) => log.filename === 'external_from_url.multiorder.fits');
    assert.ok(entry);
    assert.equal(entry.comment, `Downloaded from ${base}/moc.fits.`);
    assert.deepEqual(entry.tag_names, ['sky_loc']);
    assert.deepEqual(await gracedb.download('external_from_url.multiorder.fits', extId), moc);
    assert.ok((await gracedb.getEvent(extId)).labels.includes('EXT_SKYMAP_READY'));
    const plot = (await gracedb.getLogs(extId)).find((log) => log.filename === 'external_from_url.png');
    assert.ok(plot, 'a Mollweide PNG beside it');
    assert.equal(
      plot.comment,
      `Mollweide projection of <a href="/api/events/${extId}/files/external_from_url.multiorder.fits">external_from_url.multiorder.fits</a>`,
    );
    assert.deepEqual(plot.tag_names, ['sky_loc']);
    const png = await gracedb.download('external_from_url.png', extId);
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [720, 360], 'IHDR: 720 × 360');
  });

  test('a flat HEALPix map is stored gzipped as external_from_url.fits.gz; a redirect within the allow-list is followed', async () => {
    const { gracedb } = stack.services;
    const task = await run(`${base}/flat.fits`);
    assert.equal(task.state, 'completed', JSON.stringify(task.error));
    const result = task.result as { filename: string; png: { filename: string | null; reason?: string } };
    assert.equal(result.filename, 'external_from_url.fits.gz');
    assert.deepEqual(result.png, { filename: null, reason: 'a flat (all-sky HEALPix) map is not drawn here, only multi-order ones' });
    const stored = await gracedb.download('external_from_url.fits.gz', extId);
    assert.deepEqual([stored[0], stored[1]], [0x1f, 0x8b]);
    assert.deepEqual(gunzipSync(stored), flat, 'the same map, gzipped');
    const redirected = await run(`${base}/redirect-in`);
    assert.equal(redirected.state, 'completed', JSON.stringify(redirected.error));
    assert.equal((redirected.result as { file_version: number }).file_version, 1);
  });

  test('failures the task explains: not FITS, HTTP 404, a redirect off the allow-list, too big (declared or sent), too slow', async () => {
    const versionsBefore = (await stack.services.gracedb.getLogs(extId)).filter((log) => log.filename).length;
    const expectations: [string, RegExp][] = [
      ['/page.html', /page\.html is not a FITS file \(it begins "<!DOCTYPE html><"\); nothing was uploaded/],
      ['/missing.fits', /answered 404 Not Found; nothing was uploaded/],
      [
        '/redirect-out',
        new RegExp(`redirected to http://localhost:${port}/moc\\.fits is on host localhost:${port}, which is not on the allow-list`),
      ],
      [
        '/declared-big.fits',
        /is larger than 0\.19 MiB \(2000000 bytes declared; GWQUEUE_EXTERNAL_SKYMAP_MAX_BYTES\); nothing was uploaded/,
      ],
      ['/endless.fits', /is larger than 0\.19 MiB \(more than 200000 bytes sent; GWQUEUE_EXTERNAL_SKYMAP_MAX_BYTES\)/],
      ['/slow.fits', /took longer than 2 s \(GWQUEUE_EXTERNAL_SKYMAP_TIMEOUT\); nothing was uploaded/],
    ];
    for (const [path, message] of expectations) {
      const started = Date.now();
      const task = await run(`${base}${path}`);
      assert.equal(task.state, 'failed', path);
      assert.match(task.error?.message ?? '', message);
      if (path === '/slow.fits') assert.ok(Date.now() - started < TIMEOUT_SECONDS * 1000 + 20_000, 'ended by the time limit');
    }
    const versionsAfter = (await stack.services.gracedb.getLogs(extId)).filter((log) => log.filename).length;
    assert.equal(versionsAfter, versionsBefore, 'no file uploaded by a failed download');
  });

  test('an external event GraceDB does not have: refused in the form, nothing queued or fetched', async () => {
    const [before, fetched] = [await stack.jobCount(), requests.length];
    const answer = await stack.post(FORM, { ext_id: 'E999999', skymap_url: `${base}/moc.fits` });
    assert.deepEqual(
      [answer.status, answer.body.fields],
      [422, { ext_id: 'No action performed. GraceDB query for E999999 returned error code 404.' }],
    );
    assert.equal(await stack.jobCount(), before);
    assert.equal(requests.length, fetched);
  });

  test('gwqueue chain download_upload_external_skymap: the same from a terminal; an off-list host is one line and exit 1', async () => {
    const env = {
      REDIS_URL: stack.config.redis.url!,
      GWQUEUE_PREFIX: stack.config.prefix,
      GWQUEUE_ENV: 'test',
      GWQUEUE_EXTERNAL_SKYMAP_HOSTS: '127.0.0.1',
    };
    const done = await runCli(['chain', FORM, `ext_id=${extId}`, `skymap_url=${base}/moc.fits`, '--wait', '30'], env, {
      timeoutMs: 45_000,
    });
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, /Queued the sky map download for E\d+\. Follow it as task [0-9a-f-]{36}\./);
    assert.equal((JSON.parse(done.stdout) as { filename: string }).filename, 'external_from_url.multiorder.fits');
    const refused = await runCli(['chain', FORM, `ext_id=${extId}`, 'skymap_url=https://example.org/map.fits'], env);
    assert.notEqual(refused.code, 0);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /skymap_url is on host example\.org, which is not on the allow-list/);
  });
});
