// Operator chains end to end on a real worker and the embedded GraceDB: mock event, preliminary and update alerts,
// preferred-event change and update circular leave the expected superevent, labels, logs, files and outbox entries.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../helpers/eventually.js';
import { listAlerts } from '../../src/alerts/outbox.js';
import { alertProblems } from '../../src/alerts/schema.js';
import { readSkymap, credibleArea } from '../../src/tasks/skymap-fits.js';
import { startInProcessPerTest, DOMAIN_SETTINGS, type InProcess, mockSuperevent } from '../helpers/in-process.js';
import { comments, filesIn } from '../tasks/gracedb-logs.js';
import { preliminaryAlert, preliminaryAlertTask } from '../../src/tasks/orchestrator.js';
import { runAsTask } from '../../src/queue/current-task.js';
import { uploadMockEvent } from '../../src/tasks/first2years.js';
import { dateToGps } from '../../src/gracedb/index.js';

interface Mock {
  graceid: string;
  superevent_id: string;
}

describe('operator chains', () => {
  const engines = startInProcessPerTest({ env: DOMAIN_SETTINGS, workers: [{}], services: true });
  let domain: InProcess | undefined;

  test('mock event: an MDC CBC event with its files and READY labels, grouped into a superevent it is preferred in', async () => {
    domain = await engines.start();
    const { gracedb } = domain.services;
    const mock = await mockSuperevent<Mock>(domain);
    // EM_Selected is applied by a later step than EM_READY: wait for it (bounded) rather than race it.
    await eventually(async () => (await gracedb.getSuperevent(mock.superevent_id)).labels.includes('EM_Selected'), 10_000, 'EM_Selected');
    assert.match(mock.graceid, /^M\d+$/);
    assert.match(mock.superevent_id, /^MS\d{6}[a-z]+$/);
    const superevent = await gracedb.getSuperevent(mock.superevent_id);
    const preferred = superevent.preferred_event_data!;
    assert.equal(superevent.preferred_event, mock.graceid);
    assert.deepEqual([preferred.group, preferred.pipeline, preferred.search], ['CBC', 'gstlal', 'MDC']);
    assert.deepEqual([...preferred.labels].sort(), ['EMBRIGHT_READY', 'PASTRO_READY', 'SKYMAP_READY']);
    assert.ok(superevent.labels.includes('ADVREQ') && superevent.labels.includes('EM_Selected'), superevent.labels.join(','));
    assert.deepEqual([...filesIn(await gracedb.getLogs(mock.graceid)).keys()].sort(), [
      'bayestar.multiorder.fits',
      'coinc.xml',
      'em_bright.json',
      'p_astro.json',
    ]);
    assert.ok(comments(await gracedb.getLogs(mock.superevent_id)).includes('User alice queued a mock event through the dashboard.'));
    const pAstro = JSON.parse((await gracedb.download('p_astro.json', mock.graceid)).toString());
    assert.ok(Math.abs(pAstro.BNS + pAstro.NSBH + pAstro.BBH + pAstro.Terrestrial - 1) < 1e-3);
  });

  test('preliminary alert: preferred event set, files copied and public, PRELIMINARY alert valid and in the outbox, GCN_PRELIM_SENT, circular draft', async () => {
    domain = await engines.start();
    const { gracedb, redis: connection } = domain.services;
    const mock = await mockSuperevent<Mock>(domain);
    const sid = mock.superevent_id;
    const result = (await domain.runChain('send_preliminary_gcn', { superevent_id: sid, event_id: mock.graceid }, 'alice')) as Record<
      string,
      unknown
    >;
    assert.equal(result.sent, true);
    assert.equal(result.alert_type, 'PRELIMINARY');
    const superevent = await gracedb.getSuperevent(sid);
    assert.equal(superevent.preferred_event, mock.graceid);
    for (const label of ['GCN_PRELIM_SENT', 'SKYMAP_READY', 'EMBRIGHT_READY', 'PASTRO_READY', 'EM_READY'])
      assert.ok(superevent.labels.includes(label), label);
    const logs = await gracedb.getLogs(sid);
    const said = comments(logs);
    const queued = said.indexOf('User alice queued a Preliminary alert through the dashboard.');
    assert.ok(queued >= 0, said.join('\n'));
    assert.deepEqual(logs[queued].tag_names, ['em_follow']);
    assert.ok(queued < said.indexOf(`Localization copied from ${mock.graceid}`), 'the chain starts with the log message');
    const copied = logs.find((entry) => entry.filename === 'bayestar.multiorder.fits')!;
    assert.deepEqual([...copied.tag_names].sort(), ['public', 'sky_loc']);
    const files = filesIn(logs);
    for (const name of [
      'bayestar.multiorder.fits',
      'em_bright.json',
      'p_astro.json',
      `${sid}-preliminary.json`,
      'preliminary-circular.txt',
    ])
      assert.ok(files.has(name), name);

    const [entry] = await listAlerts(connection, domain.config, { count: 1 });
    assert.equal(entry.id, result.outbox_id);
    assert.deepEqual([entry.superevent_id, entry.alert_type], [sid, 'PRELIMINARY']);
    assert.deepEqual(alertProblems(entry.payload), []);
    const event = entry.payload.event!;
    assert.deepEqual(Buffer.from(event.skymap ?? '', 'base64'), await gracedb.download('bayestar.multiorder.fits', mock.graceid));
    assert.deepEqual(event.classification, JSON.parse((await gracedb.download('p_astro.json', mock.graceid)).toString()));
    assert.deepEqual(event.properties, JSON.parse((await gracedb.download('em_bright.json', mock.graceid)).toString()));
    assert.deepEqual([event.group, event.pipeline, event.search, event.significant], ['CBC', 'gstlal', 'MDC', true]);
    assert.equal(entry.payload.external_coinc, null);
    assert.deepEqual(JSON.parse((await gracedb.download(`${sid}-preliminary.json`, sid)).toString()), entry.payload);
    const circular = (await gracedb.download('preliminary-circular.txt', sid)).toString();
    assert.match(circular, new RegExp(`^SUBJECT: LIGO/Virgo/KAGRA ${sid}: Identification of a GW compact binary merger candidate`));
  });

  test('the preliminary-alert task run twice as the same task (picked up again) sends one alert; a new task sends another', async () => {
    domain = await engines.start();
    const { gracedb, redis: connection } = domain.services;
    const mock = await mockSuperevent<Mock>(domain);
    const sid = mock.superevent_id;
    const asTask = (id: string) => ({
      id,
      name: preliminaryAlertTask.name,
      queue: 'kafka',
      attempt: 1,
      worker: 'w@test',
      hostname: 'test',
      submittedAt: Date.now(),
      log: async () => {},
    });
    const first = await runAsTask(asTask('job-1'), () => preliminaryAlert(domain!.services, sid, mock.graceid));
    const logsAfterFirst = await gracedb.getLogs(sid);
    const again = await runAsTask({ ...asTask('job-1'), attempt: 2 }, () => preliminaryAlert(domain!.services, sid, mock.graceid));
    assert.deepEqual(await gracedb.getLogs(sid), logsAfterFirst, 'no second copy of the files, label or circular either');
    assert.equal(again.circular_filename, first.circular_filename);
    assert.equal(first.sent, true);
    assert.equal(again.outbox_id, first.outbox_id, 'the second run reports the first alert');
    assert.equal((await listAlerts(connection, domain.config, { supereventId: sid })).length, 1, 'one alert in the outbox');
    const copies = async () => (await gracedb.getLogs(sid)).filter((entry) => entry.filename === `${sid}-preliminary.json`).length;
    assert.equal(await copies(), 1, 'one copy in the superevent log');
    const deliberate = await runAsTask(asTask('job-2'), () => preliminaryAlert(domain!.services, sid, mock.graceid));
    assert.notEqual(deliberate.outbox_id, first.outbox_id);
    assert.equal(
      (await listAlerts(connection, domain.config, { supereventId: sid })).length,
      2,
      "an operator's second submission is a new task and is sent",
    );
    assert.equal(await copies(), 2);
  });

  test('the mock-event upload run twice as the same task uploads one event; another task draws another', async () => {
    domain = await engines.start();
    const { gracedb } = domain.services;
    const asTask = (id: string, submittedAt: number) => ({
      id,
      name: 'gwqueue.tasks.first2years.upload_event',
      queue: 'celery',
      attempt: 1,
      worker: 'w@test',
      hostname: 'test',
      submittedAt,
      log: async () => {},
    });
    const submittedAt = Date.now() - 5000;
    const first = await runAsTask(asTask('mock-1', submittedAt), () => uploadMockEvent());
    const again = await runAsTask({ ...asTask('mock-1', submittedAt), attempt: 2 }, () => uploadMockEvent());
    assert.deepEqual(again, first, 'the same source, drawn from the task ID and submission time');
    assert.equal(first.gpstime, Number(dateToGps(new Date(submittedAt)).toFixed(3)), 'the event time is the submission time');
    const mdcEvents = async () => (await gracedb.searchEvents('search: MDC')).length;
    assert.equal(await mdcEvents(), 1, 'one event uploaded');
    assert.equal(
      (await gracedb.getLogs(first.graceid)).filter((entry) => entry.filename === 'bayestar.multiorder.fits').length,
      1,
      'one sky map',
    );
    const other = await runAsTask(asTask('mock-2', submittedAt), () => uploadMockEvent());
    assert.notEqual(other.graceid, first.graceid);
    assert.notDeepEqual([other.mass1, other.mass2, other.snr], [first.mass1, first.mass2, first.snr], 'another task draws another source');
    assert.equal(await mdcEvents(), 2);
  });

  test('update alert: the chosen superevent files go out as an UPDATE alert, logged as GWCelery does', async () => {
    domain = await engines.start();
    const { gracedb, redis: connection } = domain.services;
    const mock = await mockSuperevent<Mock>(domain);
    const sid = mock.superevent_id;
    await domain.runChain('send_preliminary_gcn', { superevent_id: sid, event_id: mock.graceid });
    const result = (await domain.runChain(
      'send_update_gcn',
      {
        superevent_id: sid,
        skymap_filename: 'bayestar.multiorder.fits,0',
        em_bright_filename: 'em_bright.json,0',
        p_astro_filename: 'p_astro.json,0',
      },
      'bob',
    )) as Record<string, unknown>;
    assert.equal(result.sent, true);
    const alerts = await listAlerts(connection, domain.config, { supereventId: sid });
    assert.deepEqual(
      alerts.map((alert) => alert.alert_type),
      ['UPDATE', 'PRELIMINARY'],
      'newest first',
    );
    assert.deepEqual(alertProblems(alerts[0].payload), []);
    const logs = await gracedb.getLogs(sid);
    assert.ok(comments(logs).includes('User bob queued an Update alert through the dashboard.'));
    assert.ok(filesIn(logs).has(`${sid}-update.json`) && filesIn(logs).has('update-circular.txt'));
  });

  test('change preferred event: the superevent takes the chosen event and its files, and no alert is sent', async () => {
    domain = await engines.start();
    const { gracedb, redis: connection } = domain.services;
    const mock = await mockSuperevent<Mock>(domain);
    const superevent = await gracedb.getSuperevent(mock.superevent_id);
    const other = await gracedb.createEvent({
      group: 'CBC',
      pipeline: 'pycbc',
      search: 'MDC',
      filename: 'event.json',
      filecontents: JSON.stringify({
        gpstime: superevent.t_0 + 0.2,
        far: 1e-10,
        instruments: 'H1,L1',
        extra_attributes: { CoincInspiral: { snr: 9 } },
      }),
    });
    await eventually(
      async () => (await gracedb.getEvent(other.graceid)).superevent === mock.superevent_id,
      10_000,
      'the second event to be grouped',
    );
    assert.equal((await gracedb.getSuperevent(mock.superevent_id)).preferred_event, mock.graceid, 'frozen by EM_Selected');
    const result = (await domain.runChain('change_prefered_event', {
      superevent_id: mock.superevent_id,
      event_id: other.graceid,
    })) as Record<string, unknown>;
    assert.equal(result.sent, false);
    const after = await gracedb.getSuperevent(mock.superevent_id);
    assert.equal(after.preferred_event, other.graceid);
    assert.ok(!after.labels.includes('GCN_PRELIM_SENT'));
    assert.ok(
      comments(await gracedb.getLogs(mock.superevent_id)).includes(`User alice queued a preferred event change to ${other.graceid}.`),
    );
    assert.deepEqual(await listAlerts(connection, domain.config, { supereventId: mock.superevent_id }), []);
  });

  test('update circular: subject and body from the superevent and its latest public files', async () => {
    domain = await engines.start();
    const { gracedb } = domain.services;
    const mock = await mockSuperevent<Mock>(domain);
    const sid = mock.superevent_id;
    await domain.runChain('send_preliminary_gcn', { superevent_id: sid, event_id: mock.graceid });
    const circular = (await domain.runChain('create_update_gcn_circular', {
      superevent_id: sid,
      sky_localization: 'on',
      p_astro: 'on',
    })) as Record<string, string>;
    assert.equal(circular.subject, `LIGO/Virgo/KAGRA ${sid}: Updated Sky localization and Source Classification`);
    const area = Math.round(credibleArea(readSkymap(await gracedb.download('bayestar.multiorder.fits', sid)).pixels, 0.9));
    assert.match(circular.body, new RegExp(`For the bayestar\\.multiorder\\.fits,0 sky map, the 90% credible region is ${area} deg2\\.`));
    assert.match(
      circular.body,
      /The classification of the GW signal, in order of descending probability, is (BNS|NSBH|BBH|Terrestrial) \(/,
    );
    assert.doesNotMatch(circular.body, /HasNS/, 'em_bright was not asked for');
    assert.ok(circular.text.startsWith(`SUBJECT: ${circular.subject}\n\n`));
    assert.ok(
      comments(await gracedb.getLogs(sid)).includes(
        'User alice queued an update circular (sky_localization, p_astro) through the dashboard.',
      ),
    );
  });
});
