// GWCelery's Update alert form over HTTP (real console process, real worker, embedded GraceDB): files named with their
// version or without (the latest version, resolved when the alert is sent, so the alert, its VOEvent and the circular
// name the version they carry); GraceDB's refusals before queuing (unknown superevent, a file the superevent lacks).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listAlerts } from '../../src/alerts/outbox.js';
import { updateAlert } from '../../src/tasks/orchestrator.js';
import { writeSkymap } from '../../src/tasks/skymap-fits.js';
import { formStack, withFormClient, type FormStack } from './form-client.js';
import { startProcesses } from '../helpers/real-processes.js';
import { comments, mockSuperevent } from './superevent-fixtures.js';

const FORM = 'send_update_gcn';

describe('send_update_gcn (GWCelery compatibility)', () => {
  let stack: FormStack;
  let sid: string;
  /** The superevent's second sky map, uploaded after the preliminary alert's copy (version 0). */
  let secondVersion: Buffer;

  before(async () => {
    stack = withFormClient(await startProcesses(formStack()));
    const mock = await mockSuperevent(stack);
    sid = mock.sid;
    // The preliminary alert copies the event's sky map, em_bright and p_astro to the superevent as version 0 of each.
    await stack.completed('send_preliminary_gcn', { superevent_id: sid, event_id: mock.preferred.graceid });
    secondVersion = writeSkymap({
      objectId: sid,
      dateObs: '2024-01-01T00:00:00Z',
      instruments: ['H1', 'L1', 'V1'],
      area90: 120,
      distMean: 150,
      distStd: 30,
      basePixel: 5,
    });
    await stack.services.gracedb.writeLog(sid, 'an updated localization', {
      filename: 'bayestar.multiorder.fits',
      filecontents: secondVersion,
      tags: ['sky_loc', 'public'],
    });
  });
  after(async () => {
    await stack?.stop();
  });

  test('GraceDB refuses before anything is queued: an unknown superevent, a file name or version the superevent lacks', async () => {
    const before = await stack.jobCount();
    const files = { skymap_filename: 'bayestar.multiorder.fits', em_bright_filename: 'em_bright.json', p_astro_filename: 'p_astro.json,0' };
    const cases: [Record<string, string>, Record<string, string>][] = [
      [
        { superevent_id: 'MS200101zz', ...files },
        { superevent_id: 'No action performed. GraceDB query for MS200101zz returned error code 404.' },
      ],
      [
        { superevent_id: sid, ...files, skymap_filename: 'nothere.multiorder.fits' },
        { skymap_filename: `${sid} has no file nothere.multiorder.fits` },
      ],
      [
        { superevent_id: sid, ...files, em_bright_filename: 'em_bright.json,4', p_astro_filename: 'p_astro' },
        { em_bright_filename: `${sid} has no file em_bright.json,4`, p_astro_filename: `${sid} has no file p_astro` },
      ],
    ];
    for (const [fields, problems] of cases) {
      const answer = await stack.post(FORM, fields);
      assert.deepEqual([answer.status, answer.body.fields], [422, problems], JSON.stringify(fields));
    }
    assert.equal(await stack.jobCount(), before, 'nothing queued');
  });

  test('a file named without its version: the alert, its VOEvent and the circular carry its latest version, by name', async () => {
    const { gracedb, redis } = stack.services;
    const task = await stack.completed(FORM, {
      superevent_id: sid,
      skymap_filename: 'bayestar.multiorder.fits',
      em_bright_filename: 'em_bright.json',
      p_astro_filename: 'p_astro.json,0',
    });
    const result = task.result as { sent: boolean; files: Record<string, string>; voevent_filename: string; circular_filename: string };
    assert.equal(result.sent, true, JSON.stringify(result));
    assert.deepEqual(result.files, { skymap: 'bayestar.multiorder.fits,1', em_bright: 'em_bright.json,0', p_astro: 'p_astro.json,0' });
    const [update] = await listAlerts(redis, stack.config, { supereventId: sid });
    assert.equal(update.payload.alert_type, 'UPDATE');
    assert.deepEqual(Buffer.from(update.payload.event?.skymap ?? '', 'base64'), secondVersion, 'the latest sky map, byte for byte');
    const voevents = await gracedb.getVoevents(sid);
    const last = voevents[voevents.length - 1];
    assert.deepEqual(
      [last.filename, last.voevent_type, last.skymap_filename],
      [result.voevent_filename, 'UP', 'bayestar.multiorder.fits,1'],
    );
    const circular = (await gracedb.download(result.circular_filename, sid)).toString('utf8');
    assert.match(circular, /An updated sky map, bayestar\.multiorder\.fits,1,/);
  });

  test('the task resolves names when it runs: a name the superevent has no file of sends nothing and says why', async () => {
    const { redis } = stack.services;
    const before = (await listAlerts(redis, stack.config, { supereventId: sid })).length;
    const outcome = await updateAlert(stack.services, ['bayestar.multiorder.fits', 'nothere.json', 'p_astro.json'], sid);
    assert.deepEqual([outcome.sent, outcome.reason], [false, `${sid} has no file nothere.json`]);
    assert.equal(outcome.files.skymap, 'bayestar.multiorder.fits,1', 'the names it found, exact');
    assert.equal((await listAlerts(redis, stack.config, { supereventId: sid })).length, before, 'no alert');
    assert.ok((await comments(stack, sid)).includes(`No UPDATE alert sent: ${sid} has no file nothere.json.`));
  });
});
