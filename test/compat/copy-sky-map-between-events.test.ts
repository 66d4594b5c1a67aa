// GWCelery's Copy Sky Map Between Events over HTTP (real console process, real worker, embedded GraceDB): field errors
// with nothing queued, GET 405, the event-file typeahead, the copy (no version, sky_loc + public, "sky map copied from E"),
// GraceDB's refusals before queuing (unknown IDs, a file the event lacks), and `gwqueue chain copy_sky_map_between_events`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { formStack, withFormClient, type FormStack } from './form-client.js';
import { startProcesses } from '../helpers/real-processes.js';
import { mockSuperevent } from './superevent-fixtures.js';
import { writeSkymap } from '../../src/tasks/skymap-fits.js';

const FORM = 'copy_sky_map_between_events';

describe('copy_sky_map_between_events (GWCelery compatibility)', () => {
  let stack: FormStack;
  let sid: string;
  let eventId: string;
  /** A second version of the event's sky map, different from the first. */
  let secondVersion: Buffer;

  before(async () => {
    stack = withFormClient(await startProcesses(formStack()));
    const mock = await mockSuperevent(stack);
    [sid, eventId] = [mock.sid, mock.preferred.graceid];
    const { gracedb } = stack.services;
    secondVersion = writeSkymap({
      objectId: eventId,
      dateObs: '2024-01-01T00:00:00Z',
      instruments: ['H1', 'L1'],
      area90: 900,
      distMean: 200,
      distStd: 50,
      basePixel: 3,
    });
    await gracedb.writeLog(eventId, 'a second localization', {
      filename: 'bayestar.multiorder.fits',
      filecontents: secondVersion,
      tags: ['sky_loc'],
    });
    // A flat sky map tagged sky_loc: the typeahead must leave it out (multi-order files only).
    await gracedb.writeLog(eventId, 'a flat map', { filename: 'bayestar.fits.gz', filecontents: Buffer.from('flat'), tags: ['sky_loc'] });
  });
  after(async () => {
    await stack?.stop();
  });

  test('GET is 405', async () => {
    await stack.assertGetRefused(FORM);
  });

  test('bad fields: 422 with each field and its reason, nothing queued', async () => {
    const before = await stack.jobCount();
    const empty = await stack.post(FORM, {});
    assert.equal(empty.status, 422);
    assert.deepEqual(empty.body.fields, {
      superevent_id: 'is required',
      event_id: 'is required',
      skymap_filename: 'is required',
    });
    const wrong = await stack.post(FORM, { superevent_id: sid, event_id: 'H12', skymap_filename: 'p_astro.json,0' });
    assert.equal(wrong.status, 422);
    assert.deepEqual(wrong.body.fields, {
      event_id: 'must be a G, E, M or T event such as G123456',
      skymap_filename: 'must be a .multiorder.fits file, name,version such as bayestar.multiorder.fits,0',
    });
    const unversioned = await stack.post(FORM, { superevent_id: sid, event_id: eventId, skymap_filename: 'bayestar.multiorder.fits' });
    assert.equal(unversioned.status, 422);
    assert.deepEqual(unversioned.body.fields, { skymap_filename: 'must be name,version such as bayestar.multiorder.fits,0' });
    assert.equal(await stack.jobCount(), before, 'nothing queued');
  });

  test("file typeahead: the event's multi-order sky maps only, in log order, filtered by what is typed", async () => {
    const ask = async (query: string) => {
      const response = await fetch(`${stack.url}/typeahead_event_skymap_filename?${query}`, { headers: { Accept: 'application/json' } });
      assert.equal(response.status, 200);
      return response.json();
    };
    assert.deepEqual(await ask(`event_id=${eventId}&filename=`), ['bayestar.multiorder.fits,0', 'bayestar.multiorder.fits,1']);
    assert.deepEqual(await ask(`event_id=${eventId}&filename=bayestar.multiorder.fits,0`), ['bayestar.multiorder.fits,0']);
    assert.deepEqual(await ask(`event_id=${eventId}&filename=p_astro`), []);
    assert.deepEqual(await ask('event_id=nonsense'), []);
  });

  test('copy: the chosen version lands on the superevent without its version, tagged sky_loc and public, logged as GWCelery does', async () => {
    const { gracedb } = stack.services;
    const task = await stack.completed(FORM, { superevent_id: sid, event_id: eventId, skymap_filename: 'bayestar.multiorder.fits,0' });
    assert.deepEqual(
      task.steps.map((step) => [step.task, step.state]),
      [
        ['gwqueue.tasks.gracedb.download', 'completed'],
        ['gwqueue.tasks.gracedb.upload', 'completed'],
      ],
    );
    const logs = await gracedb.getLogs(sid);
    const copied = logs.filter((entry) => entry.comment === `sky map copied from ${eventId}`);
    assert.equal(copied.length, 1);
    assert.equal(copied[0].filename, 'bayestar.multiorder.fits', 'no ",0" in the name');
    assert.deepEqual([...copied[0].tag_names].sort(), ['public', 'sky_loc']);
    const version = `bayestar.multiorder.fits,${copied[0].file_version}`;
    const onSuperevent = await gracedb.download(version, sid);
    assert.deepEqual(onSuperevent, await gracedb.download('bayestar.multiorder.fits,0', eventId), 'version 0, byte for byte');
    assert.notDeepEqual(onSuperevent, secondVersion);
  });

  test('GraceDB refuses before anything is queued: an unknown superevent or event, a file the event does not have', async () => {
    const before = await stack.jobCount();
    const cases: [Record<string, string>, Record<string, string>][] = [
      [
        { superevent_id: 'MS200101zz', event_id: eventId, skymap_filename: 'bayestar.multiorder.fits,0' },
        { superevent_id: 'No action performed. GraceDB query for MS200101zz returned error code 404.' },
      ],
      [
        { superevent_id: sid, event_id: 'M999999', skymap_filename: 'bayestar.multiorder.fits,0' },
        { event_id: 'No action performed. GraceDB query for M999999 returned error code 404.' },
      ],
      [
        { superevent_id: sid, event_id: eventId, skymap_filename: 'nothere.multiorder.fits,0' },
        { skymap_filename: `${eventId} has no file nothere.multiorder.fits,0` },
      ],
      [
        { superevent_id: sid, event_id: eventId, skymap_filename: 'bayestar.multiorder.fits,7' },
        { skymap_filename: `${eventId} has no file bayestar.multiorder.fits,7` },
      ],
    ];
    for (const [fields, problems] of cases) {
      const answer = await stack.post(FORM, fields);
      assert.deepEqual([answer.status, answer.body.fields], [422, problems]);
    }
    assert.equal(await stack.jobCount(), before, 'nothing queued');
  });

  test('gwqueue chain copy_sky_map_between_events: the same copy from a terminal; bad input is one line and exit 1', async () => {
    const env = { REDIS_URL: stack.config.redis.url!, GWQUEUE_PREFIX: stack.config.prefix, GWQUEUE_ENV: 'test' };
    const copied = await runCli(
      ['chain', FORM, `superevent_id=${sid}`, `event_id=${eventId}`, 'skymap_filename=bayestar.multiorder.fits,1', '--wait', '30'],
      env,
      { timeoutMs: 45_000 },
    );
    assert.equal(copied.code, 0, copied.stderr);
    assert.match(copied.stderr, new RegExp(`Copying file [^ ]+ from [A-Z]\\d+ to ${sid}\\. Follow it as task [0-9a-f-]{36}\\.`));
    const entry = JSON.parse(copied.stdout) as { filename: string; comment: string; tag_names: string[]; file_version: number };
    assert.equal(entry.filename, 'bayestar.multiorder.fits');
    assert.equal(entry.comment, `sky map copied from ${eventId}`);
    assert.deepEqual(await stack.services.gracedb.download(`bayestar.multiorder.fits,${entry.file_version}`, sid), secondVersion);
    const bad = await runCli(['chain', FORM, `superevent_id=${sid}`, `event_id=${eventId}`, 'skymap_filename=em_bright.json,0'], env);
    assert.notEqual(bad.code, 0);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /skymap_filename must be a \.multiorder\.fits file/);
  });
});
