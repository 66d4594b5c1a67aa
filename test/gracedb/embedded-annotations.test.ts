// Embedded store: labels, log entries and versioned files on events and superevents.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import type { EmbeddedGraceDb } from '../../src/gracedb/embedded-store.js';
import { startRedisClient, stopRedisClient, type TestRedis } from '../helpers/redis-server.js';
import { freshStore, uploadEvent } from './embedded-fixture.js';

const T0 = 1400000000;

describe('embedded GraceDB: labels, logs and files', () => {
  let server: TestRedis;
  let redis: Redis;

  before(async () => ({ server, redis } = await startRedisClient()));
  after(() => stopRedisClient(server, redis));

  async function withSuperevent(options = {}): Promise<{ store: EmbeddedGraceDb; graceid: string; sid: string }> {
    const { store } = freshStore(redis, options);
    const event = await uploadEvent(store, T0);
    const superevent = await store.createSuperevent({ t_start: T0 - 1, t_0: T0, t_end: T0 + 1, preferred_event: event.graceid });
    return { store, graceid: event.graceid, sid: superevent.superevent_id };
  }

  describe('labels', () => {
    it('adds and removes labels on events and superevents, logging each change', async () => {
      const { store, graceid, sid } = await withSuperevent();
      await store.createLabel('EM_READY', sid);
      await store.createLabel('ADVREQ', sid);
      await store.createLabel('EM_READY', graceid);
      assert.deepEqual((await store.getSuperevent(sid)).labels, ['EM_READY', 'ADVREQ']);
      assert.deepEqual((await store.getEvent(graceid)).labels, ['EM_READY']);
      await store.removeLabel('EM_READY', sid);
      assert.deepEqual((await store.getSuperevent(sid)).labels, ['ADVREQ']);
      const comments = (await store.getLogs(sid)).map((log) => log.comment);
      assert.deepEqual(comments.slice(-3), ['Added label: EM_READY', 'Added label: ADVREQ', 'Removed label: EM_READY']);
    });

    it('accepts a duplicate label without change or log entry', async () => {
      const { store, sid } = await withSuperevent();
      await store.createLabel('GCN_PRELIM_SENT', sid);
      const logCount = (await store.getLogs(sid)).length;
      await store.createLabel('GCN_PRELIM_SENT', sid);
      assert.deepEqual((await store.getSuperevent(sid)).labels, ['GCN_PRELIM_SENT']);
      assert.equal((await store.getLogs(sid)).length, logCount);
    });

    it('refuses removing an absent label, labelling unknown objects and bad label names', async () => {
      const { store, sid } = await withSuperevent();
      await assert.rejects(store.removeLabel('EM_READY', sid), { name: 'GraceDbNotFoundError', message: /EM_READY is not applied/ });
      await assert.rejects(store.createLabel('EM_READY', 'S000101zz'), { name: 'GraceDbNotFoundError' });
      await assert.rejects(store.createLabel('EM_READY', 'G9999'), { name: 'GraceDbNotFoundError' });
      await assert.rejects(store.createLabel('EM READY', sid), { name: 'GraceDbBadRequestError' });
    });
  });

  describe('logs', () => {
    it('numbers entries from 1 per object and keeps comment, issuer, time and tags', async () => {
      const { store, graceid, sid } = await withSuperevent({ submitter: 'operator-1' });
      const existing = (await store.getLogs(sid)).length;
      assert.equal(existing, 1); // "Superevent created with …"
      const first = await store.writeLog(sid, 'User X queued a Preliminary alert', { tags: ['em_follow'] });
      const second = await store.writeLog(sid, 'second');
      assert.deepEqual([first.N, second.N], [2, 3]);
      assert.equal(first.issuer, 'operator-1');
      assert.deepEqual(first.tag_names, ['em_follow']);
      assert.deepEqual([first.filename, first.file_version], ['', null]);
      assert.ok(Date.parse(first.created) <= Date.now());
      assert.deepEqual(await store.getLogs(sid).then((logs) => logs.slice(1)), [first, second]);
      const eventLog = await store.writeLog(graceid, 'on the event');
      assert.equal(eventLog.N, 2); // after "Original Data"
    });

    it('gives concurrent writers distinct numbers', async () => {
      const { store, sid } = await withSuperevent();
      const written = await Promise.all(Array.from({ length: 20 }, (_, index) => store.writeLog(sid, `entry ${index}`)));
      assert.deepEqual(
        written.map((log) => log.N).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, index) => index + 2),
      );
    });

    it('refuses a file without a name and bad tag names', async () => {
      const { store, sid } = await withSuperevent();
      await assert.rejects(store.writeLog(sid, 'x', { filecontents: 'data' }), { name: 'GraceDbBadRequestError' });
      await assert.rejects(store.writeLog(sid, 'x', { tags: ['two words'] }), { name: 'GraceDbBadRequestError' });
    });
  });

  describe('files', () => {
    it('versions each upload and downloads by name (latest) or name,version', async () => {
      const { store, sid } = await withSuperevent();
      const v0 = Buffer.from([0, 1, 2, 3, 255]);
      const v1 = Buffer.from([4, 5, 6, 0, 254, 253]);
      const first = await store.writeLog(sid, 'sky map', { filename: 'bayestar.fits.gz', filecontents: v0, tags: ['sky_loc'] });
      const second = await store.writeLog(sid, 'updated sky map', { filename: 'bayestar.fits.gz', filecontents: v1, tags: ['sky_loc'] });
      assert.deepEqual([first.filename, first.file_version, second.file_version], ['bayestar.fits.gz', 0, 1]);
      assert.deepEqual(await store.download('bayestar.fits.gz', sid), v1);
      assert.deepEqual(await store.download('bayestar.fits.gz,0', sid), v0);
      assert.deepEqual(await store.download('bayestar.fits.gz,1', sid), v1);
      const files = await store.listFiles(sid);
      assert.deepEqual(Object.keys(files).sort(), ['bayestar.fits.gz', 'bayestar.fits.gz,0', 'bayestar.fits.gz,1']);
      assert.equal(files['bayestar.fits.gz,1'], `https://gracedb.invalid/api/superevents/${sid}/files/bayestar.fits.gz,1`);
    });

    it('answers missing files and versions with GraceDbNotFoundError', async () => {
      const { store, sid } = await withSuperevent();
      await store.writeLog(sid, 'p_astro', { filename: 'p_astro.json', filecontents: '{"BNS": 0.9}' });
      await assert.rejects(store.download('p_astro.json,1', sid), { name: 'GraceDbNotFoundError' });
      await assert.rejects(store.download('em_bright.json', sid), { name: 'GraceDbNotFoundError' });
      assert.equal((await store.download('p_astro.json', sid)).toString(), '{"BNS": 0.9}');
    });

    it('refuses files over the size cap and keeps nothing of them', async () => {
      const { store, sid } = await withSuperevent({ maxFileBytes: 1024 });
      await store.writeLog(sid, 'fits', { filename: 'small.fits', filecontents: Buffer.alloc(1024) });
      const logCount = (await store.getLogs(sid)).length;
      await assert.rejects(store.writeLog(sid, 'too big', { filename: 'big.fits', filecontents: Buffer.alloc(1025) }), {
        name: 'GraceDbBadRequestError',
        message: /big\.fits is 1025 bytes.*at most 1024/,
      });
      assert.equal((await store.getLogs(sid)).length, logCount);
      await assert.rejects(store.download('big.fits', sid), { name: 'GraceDbNotFoundError' });
    });

    it('refuses file names with slashes or a version ending', async () => {
      const { store, sid } = await withSuperevent();
      await assert.rejects(store.writeLog(sid, 'x', { filename: '../etc/passwd', filecontents: 'x' }), { name: 'GraceDbBadRequestError' });
      await assert.rejects(store.writeLog(sid, 'x', { filename: 'map.fits,3', filecontents: 'x' }), { name: 'GraceDbBadRequestError' });
    });
  });
});
