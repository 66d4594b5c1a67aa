// Mock joint events, RAVEN labels and external_coinc, GWCelery's alert blocks (INJ, ADVNO, only_alert_for_mdc),
// grouping through the worker, and the operator chains' input validation.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { eventually } from '../helpers/engine.js';
import { listAlerts } from '../../src/alerts/outbox.js';
import { alertProblems } from '../../src/alerts/schema.js';
import { buildOperatorChain, OperatorChainInputError, OPERATOR_CHAIN_NAMES, OPERATOR_CHAINS, validateOperatorFields } from '../../src/tasks/operator-chains.js';
import { comments, startDomainEngine, type DomainEngine } from './domain-engine.js';

interface Mock {
  graceid: string;
  superevent_id: string;
  external_id?: string;
}

describe('joint events, RAVEN and alert blocks', () => {
  let redis: TestRedis;
  let domain: DomainEngine | undefined;

  before(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await domain?.stop();
    domain = undefined;
  });
  after(async () => {
    await redis?.stop();
  });

  async function ready(d: DomainEngine, mock: Mock): Promise<Mock> {
    await eventually(async () => (await d.services.gracedb.getSuperevent(mock.superevent_id)).labels.includes('EM_READY'), 10_000, 'EM_READY');
    return mock;
  }

  test('mock joint event: a Fermi GRB in group External joins the superevent\'s em_events a few seconds from t_0', async () => {
    domain = await startDomainEngine(redis.url);
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

  test('RAVEN labels go on the superevent, the external event and the GW event, in that order; the alert then has external_coinc', async () => {
    domain = await startDomainEngine(redis.url);
    const { gracedb, redis: connection } = domain.services;
    const mock = await ready(domain, (await domain.runChain('send_mock_joint_event')) as Mock);
    const result = (await domain.runChain('apply_raven_labels', { superevent_id: mock.superevent_id, ext_id: mock.external_id, event_id: mock.graceid })) as Record<string, unknown>;
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
    assert.ok(coinc.time_coincidence_far > 0 && coinc.time_coincidence_far < superevent.far!);
  });

  for (const [block, reason] of [['INJ', /injection \(INJ\)/], ['ADVNO', /already has ADVNO/], ['ADVOK', /already has ADVOK/]] as const) {
    test(`no PRELIMINARY alert for a superevent labelled ${block}`, async () => {
      domain = await startDomainEngine(redis.url);
      const { gracedb, redis: connection } = domain.services;
      const mock = await ready(domain, (await domain.runChain('send_mock_event')) as Mock);
      await gracedb.createLabel(block, mock.superevent_id);
      const result = (await domain.runChain('send_preliminary_gcn', { superevent_id: mock.superevent_id, event_id: mock.graceid })) as Record<string, unknown>;
      assert.equal(result.sent, false);
      assert.match(String(result.reason), reason);
      assert.deepEqual(await listAlerts(connection, domain.config), []);
      const superevent = await gracedb.getSuperevent(mock.superevent_id);
      assert.ok(!superevent.labels.includes('GCN_PRELIM_SENT'));
      assert.ok(superevent.labels.includes('SKYMAP_READY'), 'the files are copied all the same');
      assert.ok(comments(await gracedb.getLogs(mock.superevent_id)).some((line) => reason.test(line) && line.startsWith('No PRELIMINARY alert sent')));
    });
  }

  test('only_alert_for_mdc: no alert for a production event', async () => {
    domain = await startDomainEngine(redis.url, { GWQUEUE_ONLY_ALERT_FOR_MDC: 'true' });
    const { gracedb, redis: connection } = domain.services;
    const mock = await ready(domain, (await domain.runChain('send_mock_event')) as Mock);
    const sky = await gracedb.download('bayestar.multiorder.fits', mock.graceid);
    const superevent = await gracedb.getSuperevent(mock.superevent_id);
    const production = await gracedb.createEvent({ group: 'CBC', pipeline: 'gstlal', search: 'AllSky', labels: ['SKYMAP_READY', 'EMBRIGHT_READY', 'PASTRO_READY'], filename: 'event.json', filecontents: JSON.stringify({ gpstime: superevent.t_0 + 500, far: 1e-12, instruments: 'H1,L1', extra_attributes: { CoincInspiral: { snr: 20 } } }) });
    await gracedb.writeLog(production.graceid, 'sky map', { filename: 'bayestar.multiorder.fits', filecontents: sky, tags: ['sky_loc'] });
    const sid = await eventually(async () => (await gracedb.getEvent(production.graceid)).superevent, 10_000, 'grouping');
    assert.match(sid, /^S\d/);
    const result = (await domain.runChain('send_preliminary_gcn', { superevent_id: sid, event_id: production.graceid })) as Record<string, unknown>;
    assert.equal(result.sent, false);
    assert.match(String(result.reason), /only send alerts for MDC events/);
    await domain.runChain('send_preliminary_gcn', { superevent_id: mock.superevent_id, event_id: mock.graceid });
    assert.deepEqual((await listAlerts(connection, domain.config)).map((entry) => entry.superevent_id), [mock.superevent_id]);
  });

  test('events created together are grouped by the worker into one superevent; joint_mdc_freq=1 adds a GRB to it', async () => {
    domain = await startDomainEngine(redis.url, { GWQUEUE_JOINT_MDC_FREQ: '1' });
    const { gracedb } = domain.services;
    const t = 1_400_000_000;
    const events = await Promise.all([9, 11, 13, 10, 12].map((snr, index) => gracedb.createEvent({
      group: 'CBC', pipeline: 'gstlal', search: 'MDC', filename: 'event.json',
      filecontents: JSON.stringify({ gpstime: t + index * 0.1, far: 1e-10, instruments: 'H1,L1', extra_attributes: { CoincInspiral: { snr } } }),
    })));
    const ids = await eventually(async () => {
      const records = await Promise.all(events.map((event) => gracedb.getEvent(event.graceid)));
      return records.every((record) => record.superevent) ? new Set(records.map((record) => record.superevent)) : undefined;
    }, 10_000, 'grouping of all five');
    assert.equal(ids.size, 1, [...ids].join(', '));
    const sid = [...ids][0]!;
    assert.equal((await gracedb.getSuperevent(sid)).preferred_event, events[2].graceid, 'the loudest');
    const em = await eventually(async () => (await gracedb.getSuperevent(sid)).em_events, 10_000, 'the automatic mock GRB');
    assert.equal(em.length, 1);
  });

  test('operator chain input: IDs, file names and checkboxes are validated field by field; nothing is built for bad input', () => {
    assert.deepEqual(OPERATOR_CHAIN_NAMES, ['send_preliminary_gcn', 'send_update_gcn', 'create_update_gcn_circular', 'change_prefered_event', 'apply_raven_labels', 'send_mock_event', 'send_mock_joint_event']);
    assert.deepEqual(OPERATOR_CHAINS.send_update_gcn.fields, ['superevent_id', 'skymap_filename', 'em_bright_filename', 'p_astro_filename']);
    assert.equal(OPERATOR_CHAINS.send_preliminary_gcn.flash({ superevent_id: 'S240101a', event_id: 'G1' }), 'Queued preliminary alert for S240101a.');
    const bad = validateOperatorFields('send_preliminary_gcn', { superevent_id: 'S24', event_id: 'X1', extra: 'x' });
    assert.equal(bad.ok, false);
    assert.deepEqual(Object.keys(!bad.ok ? bad.errors : {}).sort(), ['event_id', 'extra', 'superevent_id']);
    const file = validateOperatorFields('send_update_gcn', { superevent_id: 'MS240101a', skymap_filename: 'bayestar.multiorder.fits', em_bright_filename: 'em_bright.json,0', p_astro_filename: 'p_astro.json,1' });
    assert.ok(!file.ok && /name,version/.test(file.errors.skymap_filename));
    const none = validateOperatorFields('create_update_gcn_circular', { superevent_id: 'S240101a' });
    assert.ok(!none.ok && /at least one/.test(none.errors.sky_localization));
    const some = validateOperatorFields('create_update_gcn_circular', { superevent_id: ' S240101a ', em_bright: 'on' });
    assert.deepEqual(some, { ok: true, fields: { superevent_id: 'S240101a', sky_localization: false, em_bright: true, p_astro: false } });
    assert.throws(() => buildOperatorChain('send_preliminary_gcn', { superevent_id: 'S240101a' }, { user: 'x' }), (error: unknown) => error instanceof OperatorChainInputError && 'event_id' in error.errors);
    assert.throws(() => buildOperatorChain('launch_rocket', {}, { user: 'x' }), /unknown form/);
    const built = buildOperatorChain('send_preliminary_gcn', { superevent_id: 'S240101a', event_id: 'G12' }, { user: 'dana' });
    assert.equal(built.flash, 'Queued preliminary alert for S240101a.');
    assert.equal(built.canvas.kind, 'chain');
    const steps = built.canvas.kind === 'chain' ? built.canvas.steps : [];
    assert.deepEqual(steps.map((step) => (step.kind === 'signature' ? step.task : step.kind)), ['gwqueue.tasks.gracedb.upload', 'gwqueue.tasks.gracedb.update_superevent', 'gwqueue.tasks.orchestrator.preliminary_alert']);
    assert.deepEqual(steps[0].kind === 'signature' && steps[0].args, [null, null, 'S240101a', 'User dana queued a Preliminary alert through the dashboard.', ['em_follow']]);
  });
});
