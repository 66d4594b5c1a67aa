// REST client against a fake GraceDB on a real HTTP server: URLs, bodies, auth, pagination and error mapping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraceDbRestClient } from '../../src/gracedb/rest-client.js';
import { fakeGraceDbForEachTest, type FakeGraceDb } from './fake-gracedb.js';
import { freePort } from '../helpers/redis-server.js';

const FAST_RETRY = { attempts: 4, initialDelayMs: 5, maxDelayMs: 20, timeoutMs: 2000 };
const SID = 'S190425z';

function event(graceid: string) {
  return { graceid, group: 'CBC', pipeline: 'gstlal', search: 'AllSky', gpstime: 1240215503.02, far: 1e-9, labels: [], superevent: null };
}

function superevent(id = SID, preferred = 'G1234') {
  return {
    superevent_id: id,
    category: 'Production',
    t_start: 1,
    t_0: 2,
    t_end: 3,
    preferred_event: preferred,
    gw_events: [preferred],
    em_events: [],
    labels: [],
  };
}

describe('GraceDbRestClient', () => {
  let fake: FakeGraceDb;
  let client: GraceDbRestClient;

  fakeGraceDbForEachTest({ token: 'sekret', retry: FAST_RETRY }, (started, fresh) => {
    [fake, client] = [started, fresh];
  });

  describe('events', () => {
    it('gets an event at events/{id} (no trailing slash) with the bearer token', async () => {
      fake.on('GET', 'events/G1234', { json: event('G1234') });
      const record = await client.getEvent('G1234');
      assert.equal(record.graceid, 'G1234');
      assert.equal(fake.requests.length, 1);
      assert.equal(fake.requests[0].headers.authorization, 'Bearer sekret');
    });

    it('sends basic auth when given a username and password', async () => {
      fake.on('GET', 'events/G1', { json: event('G1') });
      const basic = new GraceDbRestClient({
        url: fake.apiUrl.replace(/\/$/, ''),
        basicAuth: { username: 'albert', password: 'e=mc2' },
        retry: FAST_RETRY,
      });
      await basic.getEvent('G1');
      assert.equal(fake.requests[0].headers.authorization, `Basic ${Buffer.from('albert:e=mc2').toString('base64')}`);
    });

    it('follows links.next through every page of a search', async () => {
      fake.on('GET', 'events/', (request) =>
        request.query.get('start') === '2'
          ? { json: { numRows: 3, events: [event('G3')], links: { next: null } } }
          : {
              json: { numRows: 3, events: [event('G1'), event('G2')], links: { next: `${fake.apiUrl}events/?query=MDC&start=2&count=2` } },
            },
      );
      const records = await client.searchEvents('MDC', { sort: '-gpstime' });
      assert.deepEqual(
        records.map((record) => record.graceid),
        ['G1', 'G2', 'G3'],
      );
      assert.equal(fake.requests.length, 2);
      assert.equal(fake.requests[0].query.get('query'), 'MDC');
      assert.equal(fake.requests[0].query.get('sort'), '-gpstime');
      assert.equal(fake.requests[1].query.get('start'), '2');
    });

    it('stops paging once count results are in', async () => {
      fake.on('GET', 'events/', { json: { events: [event('G1'), event('G2')], links: { next: `${fake.apiUrl}events/?start=2` } } });
      const records = await client.searchEvents('', { count: 2, start: 4 });
      assert.equal(records.length, 2);
      assert.equal(fake.requests.length, 1);
      assert.equal(fake.requests[0].query.get('count'), '2');
      assert.equal(fake.requests[0].query.get('start'), '4');
    });

    it('creates an event with a multipart upload of the event file', async () => {
      fake.on('POST', 'events/', { status: 201, json: event('M0007') });
      const record = await client.createEvent({
        group: 'CBC',
        pipeline: 'gstlal',
        search: 'MDC',
        offline: false,
        labels: ['EM_READY', 'PE_READY'],
        filename: 'coinc.xml',
        filecontents: Buffer.from('<LIGO_LW/>'),
      });
      assert.equal(record.graceid, 'M0007');
      const form = fake.requests[0].form!;
      assert.equal(form.get('group'), 'CBC');
      assert.equal(form.get('pipeline'), 'gstlal');
      assert.equal(form.get('search'), 'MDC');
      assert.equal(form.get('offline'), 'false');
      assert.deepEqual(form.getAll('labels'), ['EM_READY', 'PE_READY']);
      const file = form.get('eventFile') as File;
      assert.equal(file.name, 'coinc.xml');
      assert.equal(await file.text(), '<LIGO_LW/>');
    });
  });

  describe('superevents', () => {
    it('gets, updates and searches superevents at paths with a trailing slash', async () => {
      fake.on('GET', `superevents/${SID}/`, { json: superevent() });
      fake.on('PATCH', `superevents/${SID}/`, { json: superevent(SID, 'G5') });
      fake.on('GET', 'superevents/', { json: { superevents: [superevent()], links: { next: null } } });
      assert.equal((await client.getSuperevent(SID)).superevent_id, SID);
      const updated = await client.updateSuperevent(SID, { preferred_event: 'G5', t_0: 2.5, t_end: undefined });
      assert.equal(updated.preferred_event, 'G5');
      assert.deepEqual(fake.requestsTo('PATCH', `superevents/${SID}/`)[0].json, { preferred_event: 'G5', t_0: 2.5 });
      const found = await client.searchSuperevents('category: test t_0: 1 .. 3');
      assert.equal(found.length, 1);
      assert.equal(fake.requestsTo('GET', 'superevents/')[0].query.get('query'), 'category: test t_0: 1 .. 3');
    });

    it('creates a superevent with a JSON body and GraceDB’s category code', async () => {
      fake.on('POST', 'superevents/', { status: 201, json: superevent('TS190425a') });
      const created = await client.createSuperevent({
        t_start: 1,
        t_0: 2,
        t_end: 3,
        preferred_event: 'T0001',
        category: 'test',
        labels: ['EM_READY'],
      });
      assert.equal(created.superevent_id, 'TS190425a');
      assert.deepEqual(fake.requests[0].json, {
        t_start: 1,
        t_0: 2,
        t_end: 3,
        preferred_event: 'T0001',
        category: 'T',
        labels: ['EM_READY'],
      });
    });

    it('adds an event with POST superevents/{id}/events/', async () => {
      fake.on('POST', `superevents/${SID}/events/`, { status: 201, json: { graceid: 'G2' } });
      await client.addEventToSuperevent(SID, 'G2');
      assert.deepEqual(fake.requests[0].json, { event: 'G2' });
    });

    it('counts "Request would not modify the superevent" as success and returns the superevent', async () => {
      fake.on('PATCH', `superevents/${SID}/`, { status: 400, json: { non_field_errors: ['Request would not modify the superevent'] } });
      fake.on('GET', `superevents/${SID}/`, { json: superevent() });
      const result = await client.updateSuperevent(SID, { preferred_event: 'G1234' });
      assert.equal(result.preferred_event, 'G1234');
      assert.deepEqual(
        fake.requests.map((request) => request.method),
        ['PATCH', 'GET'],
      );
    });
  });

  describe('labels', () => {
    it('uses PUT/DELETE events/{id}/labels/{L} and POST/DELETE superevents/{id}/labels/…/', async () => {
      fake.on('PUT', 'events/G1/labels/EM_READY', { status: 201, json: { name: 'EM_READY' } });
      fake.on('DELETE', 'events/G1/labels/EM_READY', { status: 204 });
      fake.on('POST', `superevents/${SID}/labels/`, { status: 201, json: { name: 'ADVREQ' } });
      fake.on('DELETE', `superevents/${SID}/labels/ADVREQ/`, { status: 204 });
      await client.createLabel('EM_READY', 'G1');
      await client.removeLabel('EM_READY', 'G1');
      await client.createLabel('ADVREQ', SID);
      await client.removeLabel('ADVREQ', SID);
      assert.deepEqual(
        fake.requests.map((request) => `${request.method} ${request.path}`),
        [
          'PUT events/G1/labels/EM_READY',
          'DELETE events/G1/labels/EM_READY',
          `POST superevents/${SID}/labels/`,
          `DELETE superevents/${SID}/labels/ADVREQ/`,
        ],
      );
      assert.deepEqual(fake.requests[2].json, { name: 'ADVREQ' });
    });

    it('treats a duplicate label as done, but not other refusals', async () => {
      fake.on('POST', `superevents/${SID}/labels/`, { status: 400, json: { detail: `The label 'EM_READY' is already applied to ${SID}` } });
      fake.on('PUT', 'events/G1/labels/EM_READY', { status: 409, body: 'Label EM_READY already exists for G1' });
      fake.on('PUT', 'events/G1/labels/NOPE', { status: 400, json: { name: ['Object with name=NOPE does not exist.'] } });
      await client.createLabel('EM_READY', SID);
      await client.createLabel('EM_READY', 'G1');
      await assert.rejects(client.createLabel('NOPE', 'G1'), {
        name: 'GraceDbBadRequestError',
        serverMessage: 'name: Object with name=NOPE does not exist.',
      });
    });
  });

  describe('logs and files', () => {
    it('lists logs under `log` at events/{id}/log/ and superevents/{id}/logs/', async () => {
      const entry = {
        N: 1,
        comment: 'Original Data',
        issuer: 'x',
        created: '2019-04-25 08:18:26 UTC',
        filename: 'coinc.xml',
        file_version: 0,
        tag_names: [],
      };
      fake.on('GET', 'events/G1/log/', { json: { numRows: 1, log: [entry], links: {} } });
      fake.on('GET', `superevents/${SID}/logs/`, {
        json: {
          log: [
            { ...entry, comment: 'made' },
            { ...entry, N: 2 },
          ],
        },
      });
      assert.deepEqual(
        (await client.getLogs('G1')).map((log) => log.comment),
        ['Original Data'],
      );
      assert.equal((await client.getLogs(SID)).length, 2);
    });

    it('writes a plain log as JSON with tagname', async () => {
      fake.on('POST', `superevents/${SID}/logs/`, { status: 201, json: { N: 3, comment: 'hello', tag_names: ['em_follow'] } });
      const log = await client.writeLog(SID, 'hello', { tags: ['em_follow'] });
      assert.equal(log.N, 3);
      assert.deepEqual(fake.requests[0].json, { comment: 'hello', tagname: ['em_follow'] });
    });

    it('uploads a file in a multipart log: comment, upload and repeated tagname', async () => {
      const bytes = Buffer.from([0, 1, 2, 250, 251, 252]);
      fake.on('POST', 'events/G1/log/', {
        status: 201,
        json: { N: 2, comment: 'sky map', filename: 'bayestar.fits.gz', file_version: 0, tag_names: ['sky_loc', 'public'] },
      });
      await client.writeLog('G1', 'sky map', { filename: 'bayestar.fits.gz', filecontents: bytes, tags: ['sky_loc', 'public'] });
      const form = fake.requests[0].form!;
      assert.equal(form.get('comment'), 'sky map');
      assert.deepEqual(form.getAll('tagname'), ['sky_loc', 'public']);
      const upload = form.get('upload') as File;
      assert.equal(upload.name, 'bayestar.fits.gz');
      assert.deepEqual(Buffer.from(await upload.arrayBuffer()), bytes);
    });

    it('downloads files by name or name,version and lists them', async () => {
      const bytes = Buffer.from([9, 8, 7, 0, 255]);
      fake.on('GET', 'events/G1/files/coinc.xml', { body: '<LIGO_LW/>', contentType: 'application/xml' });
      fake.on('GET', `superevents/${SID}/files/bayestar.fits.gz,1`, { body: bytes, contentType: 'application/octet-stream' });
      fake.on('GET', `superevents/${SID}/files/`, { json: { 'bayestar.fits.gz': 'u', 'bayestar.fits.gz,1': 'v' } });
      assert.equal((await client.download('coinc.xml', 'G1')).toString(), '<LIGO_LW/>');
      assert.deepEqual(await client.download('bayestar.fits.gz,1', SID), bytes);
      assert.deepEqual(Object.keys(await client.listFiles(SID)), ['bayestar.fits.gz', 'bayestar.fits.gz,1']);
    });

    it('refuses an object ID that is neither an event nor a superevent without asking the server', async () => {
      await assert.rejects(client.getLogs('../admin'), { name: 'GraceDbNotFoundError' });
      assert.equal(fake.requests.length, 0);
    });
  });

  describe('errors and retries', () => {
    it('maps 404, 403 and 400 to typed errors; 400 carries the server message', async () => {
      fake.on('GET', 'events/G404', { status: 404, json: { detail: 'Not found.' } });
      fake.on('GET', 'events/G403', { status: 403, json: { detail: 'You do not have permission to perform this action.' } });
      fake.on('POST', `superevents/${SID}/events/`, { status: 400, json: ['Event G2 is already assigned to a Superevent'] });
      await assert.rejects(client.getEvent('G404'), { name: 'GraceDbNotFoundError', status: 404 });
      await assert.rejects(client.getEvent('G403'), { name: 'GraceDbForbiddenError', status: 403 });
      await assert.rejects(client.addEventToSuperevent(SID, 'G2'), {
        name: 'GraceDbBadRequestError',
        status: 400,
        serverMessage: 'Event G2 is already assigned to a Superevent',
        message: 'Event G2 is already assigned to a Superevent',
      });
    });

    it('does not retry a 500', async () => {
      fake.on('GET', 'events/G1', { status: 500, body: 'Internal Server Error' });
      await assert.rejects(client.getEvent('G1'), (error: Error & { status?: number; transient?: boolean }) => {
        assert.equal(error.name, 'GraceDbError');
        assert.equal(error.status, 500);
        assert.equal(error.transient, undefined);
        return true;
      });
      assert.equal(fake.requests.length, 1);
    });

    it('retries 503 twice and then succeeds', async () => {
      fake.on('GET', 'events/G1', (_request, call) => (call <= 2 ? { status: 503, body: 'Service Unavailable' } : { json: event('G1') }));
      assert.equal((await client.getEvent('G1')).graceid, 'G1');
      assert.equal(fake.requestsTo('GET', 'events/G1').length, 3);
    });

    it('gives up after the configured tries with a transient error', async () => {
      fake.on('POST', `superevents/${SID}/logs/`, { status: 503, body: 'Service Unavailable' });
      await assert.rejects(client.writeLog(SID, 'x'), (error: Error & { status?: number; transient?: boolean }) => {
        assert.equal(error.name, 'GraceDbTransientError');
        assert.equal(error.transient, true);
        assert.equal(error.status, 503);
        return true;
      });
      assert.equal(fake.requests.length, FAST_RETRY.attempts);
    });

    it('retries 429, 502 and 504 too', async () => {
      const statuses = [429, 502, 504];
      fake.on('GET', 'events/G1', (_request, call) => (call <= statuses.length ? { status: statuses[call - 1] } : { json: event('G1') }));
      await client.getEvent('G1');
      assert.equal(fake.requests.length, 4);
    });

    it('retries a dropped connection', async () => {
      fake.on('GET', 'events/G1', (_request, call) => (call === 1 ? 'drop' : { json: event('G1') }));
      assert.equal((await client.getEvent('G1')).graceid, 'G1');
      assert.equal(fake.requests.length, 2);
    });

    it('reports a refused connection as transient after retrying', async () => {
      const port = await freePort();
      const nowhere = new GraceDbRestClient({ url: `http://127.0.0.1:${port}/api/`, retry: { ...FAST_RETRY, attempts: 2 } });
      await assert.rejects(nowhere.getEvent('G1'), (error: Error & { transient?: boolean }) => {
        assert.equal(error.name, 'GraceDbTransientError');
        assert.equal(error.transient, true);
        assert.match(error.message, /ECONNREFUSED/);
        return true;
      });
    });
  });
});
