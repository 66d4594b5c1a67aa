// Mock joint events, RAVEN labels and external_coinc, GWCelery's alert blocks (INJ, ADVNO, only_alert_for_mdc),
// and grouping through the worker (the forms' input validation: test/forms/).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../helpers/eventually.js';
import { listAlerts } from '../../src/alerts/outbox.js';
import { alertProblems } from '../../src/alerts/schema.js';
import { startInProcessPerTest, DOMAIN_SETTINGS, type InProcess, untilComplete } from '../helpers/in-process.js';
import { comments } from './gracedb-logs.js';
import { JOINT_MDC_TASK } from '../../src/tasks/superevents.js';

interface Mock {
  graceid: string;
  superevent_id: string;
  external_id?: string;
}

describe('joint events, RAVEN and alert blocks', () => {
  const engines = startInProcessPerTest({ env: DOMAIN_SETTINGS, workers: [{}], services: true });
  let domain: InProcess | undefined;

  async function ready(d: InProcess, mock: Mock): Promise<Mock> {
    await untilComplete(d, mock.superevent_id);
    return mock;
  }

  test("mock joint event: a Fermi GRB in group External joins the superevent's em_events a few seconds from t_0", async () => {
    domain = await engines.start();
    const { gracedb } = domain.services;
    const started = Date.now();
    const mock = await ready(domain, (await domain.runChain('send_mock_joint_event', {}, 'carol')) as Mock);
    assert.ok(Date.now() - started >= 200, 'the GRB step waits GWQUEUE_MOCK_JOINT_DELAY');
    assert.ok(mock.external_id && mock.graceid && mock.superevent_id, JSON.stringify(mock));
    const superevent = await gracedb.getSuperevent(mock.superevent_id);
    assert.deepEqual(superevent.em_events, [mock.external_id]);
    assert.match(mock.external_id, /^E\d+$/, 'an external trigger is an E event, even a mock one');
    assert.ok(!superevent.gw_events.includes(mock.external_id!));
    const grb = await gracedb.getEvent(mock.external_id!);
    assert.deepEqual([grb.group, grb.pipeline], ['External', 'Fermi']);
    // GraceDB numbers MDC-search events M… whatever their group; a GRB may only join an MDC superevent as MDC.
    assert.equal(grb.search, 'MDC');
    assert.ok(grb.gpstime! - superevent.t_0 >= -1 && grb.gpstime! - superevent.t_0 <= 5, `${grb.gpstime} vs ${superevent.t_0}`);
    assert.ok(typeof grb.extra_attributes.GRB?.error_radius === 'number');
    assert.ok(comments(await gracedb.getLogs(mock.superevent_id)).includes('User carol queued a mock joint event through the dashboard.'));
  });

  test('a mock joint event on a superevent that also gets the automatic joint MDC GRB: one GRB, the one the form names', async () => {
    // Every MDC superevent gets the automatic GRB here, so the form's GRB step and the manager's ask for one each.
    domain = await engines.start({ GWQUEUE_JOINT_MDC_FREQ: '1' });
    const { gracedb } = domain.services;
    const mock = await ready(domain, (await domain.runChain('send_mock_joint_event')) as Mock & { existing?: boolean });
    const queue = domain.engine.client.queue('celery');
    const runs = await eventually(
      async () => {
        const done = (await queue.getCompleted()).filter((job) => job.name === JOINT_MDC_TASK);
        return done.length === 2 ? done.map((job) => job.returnvalue as { external_id: string; existing?: boolean }) : undefined;
      },
      10_000,
      "both asks for a GRB (the manager's and the form's) to finish",
    );
    assert.deepEqual((await gracedb.getSuperevent(mock.superevent_id)).em_events, [mock.external_id], 'one GRB');
    assert.deepEqual(
      runs.map((run) => run.external_id),
      [mock.external_id, mock.external_id],
      'both name the same GRB',
    );
    assert.equal(runs.filter((run) => run.existing).length, 1, 'the second ask was given the first one');
  });

  test('RAVEN labels go on the superevent, the external event and the GW event, in that order; the alert then has external_coinc', async () => {
    domain = await engines.start();
    const { gracedb, redis: connection } = domain.services;
    const mock = await ready(domain, (await domain.runChain('send_mock_joint_event')) as Mock);
    const result = (await domain.runChain('apply_raven_labels', {
      superevent_id: mock.superevent_id,
      ext_id: mock.external_id,
      event_id: mock.graceid,
    })) as Record<string, unknown>;
    assert.deepEqual(result.labelled, [mock.superevent_id, mock.external_id, mock.graceid]);
    const stamps: string[] = [];
    for (const objectId of [mock.superevent_id, mock.external_id!, mock.graceid]) {
      const logs = await gracedb.getLogs(objectId);
      const added = logs.find((entry) => entry.comment === 'Added label: RAVEN_ALERT');
      assert.ok(added, `RAVEN_ALERT on ${objectId}`);
      stamps.push(added.created);
    }
    assert.deepEqual([...stamps].sort(), stamps, 'applied in order');
    assert.ok(comments(await gracedb.getLogs(mock.superevent_id)).some((line) => line.startsWith('User alice queued RAVEN alert labels')));

    await domain.runChain('send_preliminary_gcn', { superevent_id: mock.superevent_id, event_id: mock.graceid });
    const [entry] = await listAlerts(connection, domain.config, { supereventId: mock.superevent_id });
    assert.deepEqual(alertProblems(entry.payload), []);
    const coinc = entry.payload.external_coinc!;
    const superevent = await gracedb.getSuperevent(mock.superevent_id);
    const grb = await gracedb.getEvent(mock.external_id!);
    assert.equal(coinc.observatory, 'Fermi');
    assert.equal(coinc.search, 'MDC');
    assert.equal(coinc.gcn_notice_id, Math.floor(grb.gpstime!));
    assert.match(coinc.ivorn, /^ivo:\/\/lvk\.internal\/Fermi#MDC-test_event/);
    assert.equal(coinc.time_difference, Number((superevent.t_0 - grb.gpstime!).toFixed(2)));
    assert.ok(coinc.time_coincidence_far !== null && coinc.time_coincidence_far > 0 && coinc.time_coincidence_far < superevent.far!);
    assert.equal(coinc.combined_skymap, null, 'no combined sky map was uploaded');
  });

  for (const [block, reason] of [
    ['INJ', /injection \(INJ\)/],
    ['ADVNO', /already has ADVNO/],
    ['ADVOK', /already has ADVOK/],
  ] as const) {
    test(`no PRELIMINARY alert for a superevent labelled ${block}`, async () => {
      domain = await engines.start();
      const { gracedb, redis: connection } = domain.services;
      const mock = await ready(domain, (await domain.runChain('send_mock_event')) as Mock);
      await gracedb.createLabel(block, mock.superevent_id);
      const result = (await domain.runChain('send_preliminary_gcn', {
        superevent_id: mock.superevent_id,
        event_id: mock.graceid,
      })) as Record<string, unknown>;
      assert.equal(result.sent, false);
      assert.match(String(result.reason), reason);
      assert.deepEqual(await listAlerts(connection, domain.config), []);
      const superevent = await gracedb.getSuperevent(mock.superevent_id);
      assert.ok(!superevent.labels.includes('GCN_PRELIM_SENT'));
      assert.ok(superevent.labels.includes('SKYMAP_READY'), 'the files are copied all the same');
      assert.ok(
        comments(await gracedb.getLogs(mock.superevent_id)).some(
          (line) => reason.test(line) && line.startsWith('No PRELIMINARY alert sent'),
        ),
      );
    });
  }

  test('only_alert_for_mdc: no alert for a production event', async () => {
    domain = await engines.start({ GWQUEUE_ONLY_ALERT_FOR_MDC: 'true' });
    const { gracedb, redis: connection } = domain.services;
    const mock = await ready(domain, (await domain.runChain('send_mock_event')) as Mock);
    const sky = await gracedb.download('bayestar.multiorder.fits', mock.graceid);
    const superevent = await gracedb.getSuperevent(mock.superevent_id);
    const production = await gracedb.createEvent({
      group: 'CBC',
      pipeline: 'gstlal',
      search: 'AllSky',
      labels: ['SKYMAP_READY', 'EMBRIGHT_READY', 'PASTRO_READY'],
      filename: 'event.json',
      filecontents: JSON.stringify({
        gpstime: superevent.t_0 + 500,
        far: 1e-12,
        instruments: 'H1,L1',
        extra_attributes: { CoincInspiral: { snr: 20 } },
      }),
    });
    await gracedb.writeLog(production.graceid, 'sky map', { filename: 'bayestar.multiorder.fits', filecontents: sky, tags: ['sky_loc'] });
    const sid = await eventually(async () => (await gracedb.getEvent(production.graceid)).superevent, 10_000, 'grouping');
    assert.match(sid, /^S\d/);
    const result = (await domain.runChain('send_preliminary_gcn', { superevent_id: sid, event_id: production.graceid })) as Record<
      string,
      unknown
    >;
    assert.equal(result.sent, false);
    assert.match(String(result.reason), /only send alerts for MDC events/);
    await domain.runChain('send_preliminary_gcn', { superevent_id: mock.superevent_id, event_id: mock.graceid });
    assert.deepEqual(
      (await listAlerts(connection, domain.config)).map((entry) => entry.superevent_id),
      [mock.superevent_id],
    );
  });

  test('events created together are grouped by the worker into one superevent; joint_mdc_freq=1 adds a GRB to it', async () => {
    domain = await engines.start({ GWQUEUE_JOINT_MDC_FREQ: '1' });
    const { gracedb } = domain.services;
    const t = 1_400_000_000;
    const events = await Promise.all(
      [9, 11, 13, 10, 12].map((snr, index) =>
        gracedb.createEvent({
          group: 'CBC',
          pipeline: 'gstlal',
          search: 'MDC',
          filename: 'event.json',
          filecontents: JSON.stringify({
            gpstime: t + index * 0.1,
            far: 1e-10,
            instruments: 'H1,L1',
            extra_attributes: { CoincInspiral: { snr } },
          }),
        }),
      ),
    );
    const ids = await eventually(
      async () => {
        const records = await Promise.all(events.map((event) => gracedb.getEvent(event.graceid)));
        return records.every((record) => record.superevent) ? new Set(records.map((record) => record.superevent)) : undefined;
      },
      10_000,
      'grouping of all five',
    );
    assert.equal(ids.size, 1, [...ids].join(', '));
    const sid = [...ids][0]!;
    assert.equal((await gracedb.getSuperevent(sid)).preferred_event, events[2].graceid, 'the loudest');
    const em = await eventually(async () => (await gracedb.getSuperevent(sid)).em_events, 10_000, 'the automatic mock GRB');
    assert.equal(em.length, 1);
  });
});
