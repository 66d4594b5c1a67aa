// GWCelery's Create Sky Map With Disabled Detectors over HTTP (real console process, real worker, embedded GraceDB):
// field errors with nothing queued, GET 405, the detector lookup, the stand-in's bayestar.no-H1V1.multiorder.fits
// (sky_loc + public, a valid map from the remaining detectors, said to be a stand-in), refusals before queuing and in
// the task, `gwqueue chain`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { startConsoleProcess, startProcesses } from '../helpers/real-processes.js';
import { formStack, withFormClient, type FormStack } from './form-client.js';
import { localizeWithoutDetectors } from '../../src/tasks/localization.js';
import { basePixelOf, credibleArea, pixelArea, readSkymap, writeSkymap } from '../../src/tasks/skymap-fits.js';

const FORM = 'create_skymap_with_disabled_detectors';

describe('create_skymap_with_disabled_detectors (GWCelery compatibility)', () => {
  let stack: FormStack;
  let eventId: string;

  before(async () => {
    stack = withFormClient(await startProcesses(formStack()));
    const { gracedb } = stack.services;
    const event = await gracedb.createEvent({
      group: 'CBC',
      pipeline: 'gstlal',
      search: 'AllSky',
      filename: 'coinc.json',
      filecontents: JSON.stringify({
        gpstime: 1_400_000_000.5,
        far: 1e-9,
        instruments: 'H1,L1,V1',
        extra_attributes: {
          CoincInspiral: { snr: 19.1 },
          SingleInspiral: [
            { ifo: 'H1', snr: 12 },
            { ifo: 'L1', snr: 14 },
            { ifo: 'V1', snr: 5 },
          ],
        },
      }),
    });
    eventId = event.graceid;
    // The event's own sky map peaks in base pixel 5: the stand-in keeps the peak there.
    const skymap = writeSkymap({
      objectId: eventId,
      dateObs: '2024-05-19T16:53:02Z',
      instruments: ['H1', 'L1', 'V1'],
      area90: 300,
      distMean: 250,
      distStd: 60,
      basePixel: 5,
    });
    await gracedb.writeLog(eventId, 'sky localization complete', {
      filename: 'bayestar.multiorder.fits',
      filecontents: skymap,
      tags: ['sky_loc'],
    });
  });
  after(async () => {
    await stack?.stop();
  });

  test('GET is 405', async () => {
    assert.equal((await fetch(`${stack.url}/${FORM}`)).status, 405);
  });

  test('bad fields: 422 with each field and its reason, nothing queued', async () => {
    const before = await stack.jobCount();
    const empty = await stack.post(FORM, {});
    assert.equal(empty.status, 422);
    assert.deepEqual(empty.body.fields, { event_id: 'is required', H1: 'choose at least one detector to disable' });
    const none = await stack.post(FORM, { event_id: eventId });
    assert.deepEqual([none.status, none.body.fields], [422, { H1: 'choose at least one detector to disable' }]);
    const odd = await stack.post(FORM, { event_id: 'S240101a', V1: 'maybe', X9: 'on' });
    assert.equal(odd.status, 422);
    assert.deepEqual(odd.body.fields, {
      event_id: 'must look like G123456',
      V1: 'must be on or absent',
      X9: 'is not a field of this form',
    });
    assert.equal(await stack.jobCount(), before, 'nothing queued');
  });

  test("the detector lookup lists the event's detectors (the page offers only those)", async () => {
    const ask = async (id: string) => (await fetch(`${stack.url}/typeahead_event_detectors?event_id=${id}`)).json();
    assert.deepEqual(await ask(eventId), ['H1', 'L1', 'V1']);
    assert.deepEqual(await ask('G999999'), [], 'an unknown event: none');
    const page = await (await fetch(`${stack.url}/`)).text();
    for (const name of ['H1', 'L1', 'V1', 'K1', 'I1'])
      assert.match(page, new RegExp(`name="${name}" value="on"\\s+data-lookup="/typeahead_event_detectors"`));
  });

  test('under GWQUEUE_URL_PREFIX the checkboxes name the lookup under the prefix, and it answers there', async () => {
    const prefixed = await startConsoleProcess(
      {
        REDIS_URL: stack.config.redis.url!,
        GWQUEUE_PREFIX: stack.config.prefix,
        GWQUEUE_URL_PREFIX: '/gwcelery',
      },
      { timeoutMs: 60_000 },
    );
    try {
      // The console names its address with the prefix: http://127.0.0.1:<port>/gwcelery.
      assert.match(prefixed.url, /\/gwcelery$/);
      const page = await (await fetch(`${prefixed.url}/`)).text();
      assert.match(page, /name="K1" value="on"\s+data-lookup="\/gwcelery\/typeahead_event_detectors"/);
      assert.deepEqual(await (await fetch(`${prefixed.url}/typeahead_event_detectors?event_id=${eventId}`)).json(), ['H1', 'L1', 'V1']);
    } finally {
      await prefixed.stop();
    }
  });

  test('H1 and V1 disabled: bayestar.no-H1V1.multiorder.fits from L1 alone, tagged sky_loc and public, said to be a stand-in', async () => {
    const { gracedb } = stack.services;
    const task = await stack.completed(FORM, { event_id: eventId, V1: 'on', H1: 'on' });
    const result = task.result as Record<string, unknown>;
    assert.equal(result.filename, 'bayestar.no-H1V1.multiorder.fits');
    assert.deepEqual([result.detectors, result.disabled_detectors, result.stand_in], [['L1'], ['H1', 'V1'], true]);

    const entry = (await gracedb.getLogs(eventId)).find((log) => log.filename === 'bayestar.no-H1V1.multiorder.fits');
    assert.ok(entry, 'uploaded to the event');
    assert.deepEqual([...entry.tag_names].sort(), ['public', 'sky_loc']);
    assert.match(entry.comment, /^sky localization complete without H1, V1 \(gwqueue stand-in for BAYESTAR, not a real localization\)$/);

    const map = readSkymap(await gracedb.download('bayestar.no-H1V1.multiorder.fits', eventId));
    const total = map.pixels.reduce((sum, pixel) => sum + pixel.probdensity * pixelArea(pixel.uniq), 0);
    assert.ok(Math.abs(total - 1) < 1e-9, `probability sums to ${total}`);
    assert.equal(map.header.INSTRUME, 'L1');
    assert.equal(map.header.ORDERING, 'NUNIQ');
    assert.equal(map.header.OBJECT, eventId);
    assert.equal(map.header.DISTMEAN, 250, "the event's distance kept");
    const densest = map.pixels.reduce((best, pixel) => (pixel.probdensity > best.probdensity ? pixel : best));
    assert.equal(basePixelOf(densest.uniq), 5, "the peak stays where the event's map has it");
    assert.ok(credibleArea(map.pixels) > 10_000, `one detector: a wide map (${credibleArea(map.pixels)} deg²)`);

    // The task page says what made the map.
    const html = await (await fetch(`${stack.url}/tasks/${task.id}`)).text();
    assert.match(html, /stand-in for BAYESTAR/);
  });

  test('V1 alone disabled: a two-detector map, far smaller than the one-detector one', async () => {
    await stack.completed(FORM, { event_id: eventId, V1: 'on' });
    const { gracedb } = stack.services;
    const two = credibleArea(readSkymap(await gracedb.download('bayestar.no-V1.multiorder.fits', eventId)).pixels);
    const one = credibleArea(readSkymap(await gracedb.download('bayestar.no-H1V1.multiorder.fits', eventId)).pixels);
    assert.ok(two < one / 5, `H1+L1 ${two} deg², L1 ${one} deg²`);
  });

  test('refused before queuing: an unknown event, a detector the event lacks, or every detector it has', async () => {
    const before = await stack.jobCount();
    const unknown = await stack.post(FORM, { event_id: 'G999999', H1: 'on' });
    assert.deepEqual(
      [unknown.status, unknown.body.fields],
      [422, { event_id: 'No action performed. GraceDB query for G999999 returned error code 404.' }],
    );
    const lacking = await stack.post(FORM, { event_id: eventId, H1: 'on', K1: 'on' });
    assert.deepEqual([lacking.status, lacking.body.fields], [422, { K1: `${eventId} has no K1 data (its detectors: H1, L1, V1)` }]);
    const all = await stack.post(FORM, { event_id: eventId, H1: 'on', L1: 'on', V1: 'on' });
    assert.deepEqual(
      [all.status, all.body.fields],
      [422, { H1: `disabling H1, L1, V1 leaves ${eventId} without a detector: at least one of H1, L1, V1 must stay` }],
    );
    assert.equal(await stack.jobCount(), before, 'nothing queued');
  });

  test('the task checks again (gwqueue call does not pass through the form): it fails and uploads nothing', async () => {
    const handle = await stack.engine.client.apply(localizeWithoutDetectors.si(eventId, ['K1']));
    const failed = await stack.finished(handle.id);
    assert.equal(failed.state, 'failed');
    assert.match(failed.error?.message ?? '', new RegExp(`No sky map created: ${eventId} has no K1 data \\(its detectors: H1, L1, V1\\)`));
    const files = (await stack.services.gracedb.getLogs(eventId)).map((log) => log.filename);
    assert.ok(!files.includes('bayestar.no-K1.multiorder.fits'));
  });

  test('gwqueue chain create_skymap_with_disabled_detectors: a bare name ticks a detector; none is one line and exit 1', async () => {
    const env = { REDIS_URL: stack.config.redis.url!, GWQUEUE_PREFIX: stack.config.prefix, GWQUEUE_ENV: 'test' };
    const made = await runCli(['chain', FORM, `event_id=${eventId}`, 'L1', '--wait', '30'], env, { timeoutMs: 45_000 });
    assert.equal(made.code, 0, made.stderr);
    const result = JSON.parse(made.stdout) as { filename: string; detectors: string[] };
    assert.deepEqual([result.filename, result.detectors], ['bayestar.no-L1.multiorder.fits', ['H1', 'V1']]);
    const bad = await runCli(['chain', FORM, `event_id=${eventId}`], env);
    assert.notEqual(bad.code, 0);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /H1 choose at least one detector to disable/);
  });
});
