// One GraceDB, two transports: gwqueue's own REST client (GRACEDB_URL) against the console's /gracedb/api/ sees what the embedded store holds.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EmbeddedGraceDb, GraceDbBadRequestError, GraceDbNotFoundError, GraceDbRestClient } from '../../src/gracedb/index.js';
import { bullPrefix } from '../../src/redis/keys.js';
import { coincXml, jsonEvent } from '../gracedb/sample-files.js';
import { OPERATOR_TOKEN, type ApiFixture, API_ACCESS, withApiClient } from './api-client.js';
import { startInProcess } from '../helpers/in-process.js';

const T0 = 1400000000;

/** A record as both transports give it, without what only the API adds (GraceDB's answer fields). */
function comparable(record: unknown): unknown {
  const { warnings: _warnings, superevent_neighbours: _neighbours, ...rest } = record as Record<string, unknown>;
  return rest;
}

describe('GraceDbRestClient against the console', () => {
  let t: ApiFixture;
  let rest: GraceDbRestClient;
  let embedded: EmbeddedGraceDb;
  before(async () => {
    t = withApiClient(await startInProcess({ listen: true, env: API_ACCESS }));
    rest = new GraceDbRestClient({ url: t.root, token: OPERATOR_TOKEN, retry: { attempts: 1 } });
    embedded = new EmbeddedGraceDb(t.client, bullPrefix(t.config), { apiUrl: t.root, submitter: 'robot' });
  });
  after(() => t?.stop());

  test('every GraceDb method through HTTP gives the records the store holds, and its errors are the same typed errors', async () => {
    const gstlal = await rest.createEvent({
      group: 'CBC',
      pipeline: 'gstlal',
      search: 'AllSky',
      labels: ['EM_READY'],
      filename: 'coinc.xml',
      filecontents: coincXml({ endTime: T0, endTimeNs: 0, far: 1e-9 }),
    });
    const pycbc = await rest.createEvent({ group: 'CBC', pipeline: 'pycbc', filename: 'event.json', filecontents: jsonEvent(T0 + 0.01) });
    assert.match(gstlal.graceid, /^G\d+$/);
    assert.deepEqual(comparable(await rest.getEvent(gstlal.graceid)), comparable(await embedded.getEvent(gstlal.graceid)));
    assert.deepEqual(
      (await rest.searchEvents(`gpstime: ${T0 - 1} .. ${T0 + 1}`)).map((event) => event.graceid),
      (await embedded.searchEvents(`gpstime: ${T0 - 1} .. ${T0 + 1}`)).map((event) => event.graceid),
    );

    const superevent = await rest.createSuperevent({ t_start: T0 - 1, t_0: T0, t_end: T0 + 1, preferred_event: gstlal.graceid });
    const id = superevent.superevent_id;
    assert.deepEqual(await rest.getSuperevent(id), await embedded.getSuperevent(id));
    await rest.addPipelinePreferredEvent(id, pycbc.graceid);
    assert.deepEqual(await rest.getPipelinePreferredEvents(id), await embedded.getPipelinePreferredEvents(id));
    const updated = await rest.updateSuperevent(id, { t_0: T0 + 0.5 });
    assert.equal(updated.t_0, T0 + 0.5);
    assert.deepEqual(
      await rest.updateSuperevent(id, { t_0: T0 + 0.5 }),
      await embedded.getSuperevent(id),
      'a change of nothing is no error',
    );

    await rest.createLabel('ADVREQ', id);
    await rest.createLabel('ADVREQ', id);
    await rest.removeLabel('EM_READY', gstlal.graceid);
    await assert.rejects(rest.removeLabel('EM_READY', gstlal.graceid), GraceDbNotFoundError);
    const log = await rest.writeLog(id, 'sky map', {
      filename: 'bayestar.fits.gz',
      filecontents: Buffer.from([1, 2, 3]),
      tags: ['sky_loc'],
    });
    assert.equal(log.filename, 'bayestar.fits.gz');
    await rest.writeLog(gstlal.graceid, 'a note', { tags: ['emfollow'] });
    assert.deepEqual(await rest.listFiles(id), await embedded.listFiles(id));
    assert.deepEqual(await rest.download('bayestar.fits.gz,0', id), Buffer.from([1, 2, 3]));
    assert.deepEqual(
      (await rest.getLogs(gstlal.graceid)).map((entry) => [entry.N, entry.comment, entry.tag_names]),
      (await embedded.getLogs(gstlal.graceid)).map((entry) => [entry.N, entry.comment, entry.tag_names]),
    );
    assert.deepEqual(
      (await rest.getLogs(id)).map((entry) => entry.comment),
      (await embedded.getLogs(id)).map((entry) => entry.comment),
    );
    assert.deepEqual(
      (await rest.searchSuperevents('ADVREQ')).map((s) => s.superevent_id),
      [id],
    );

    await assert.rejects(rest.getEvent('G999999'), GraceDbNotFoundError);
    await assert.rejects(rest.getSuperevent('S991231zz'), GraceDbNotFoundError);
    const other = await rest.createEvent({ group: 'CBC', pipeline: 'MBTA', filename: 'event.json', filecontents: jsonEvent(T0 + 100) });
    await rest.createSuperevent({ t_start: T0 + 99, t_0: T0 + 100, t_end: T0 + 101, preferred_event: other.graceid });
    await assert.rejects(
      rest.createSuperevent({ t_start: T0 + 99, t_0: T0 + 100, t_end: T0 + 101, preferred_event: other.graceid }),
      (error: unknown) => error instanceof GraceDbBadRequestError && /already assigned/.test(error.serverMessage),
    );
  });
});
