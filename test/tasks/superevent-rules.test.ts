// GWCelery's superevent rules on hand-made events: segments, completeness, publishability, preferred-event ranking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDomainConfig } from '../../src/config/domain.js';
import {
  eventInstruments,
  eventSegment,
  isBetterPreferred,
  isComplete,
  isJointMdc,
  labelTriggersGrouping,
  passesFarThreshold,
  preferenceKey,
  segmentsIntersect,
  selectPreferredEvent,
  shouldPublish,
} from '../../src/tasks/superevent-rules.js';
import { burstEvent, cbcEvent } from './hand-made-events.js';

const config = loadDomainConfig({});

test("GWCelery's defaults: ±1 s windows, 1/3600 Hz grouping threshold, per-group FAR thresholds and trials factors", () => {
  assert.equal(config.superevent.dtStart.gstlal, 1);
  assert.equal(config.superevent.dtEnd.default, 1);
  assert.equal(config.superevent.queryDtStart, 100);
  assert.equal(config.superevent.farThreshold, 1 / 3600);
  assert.equal(config.preliminaryAlertFarThreshold.cbc, 1 / (60 * 86400));
  assert.equal(config.preliminaryAlertFarThreshold.burst, 1 / (365 * 86400));
  assert.equal(config.preliminaryAlertFarThreshold.test, 1 / (30 * 86400));
  assert.deepEqual(config.preliminaryAlertTrialsFactor, { cbc: 5, burst: 4 });
  assert.equal(config.jointMdcFreq, 2);
  assert.equal(config.exposeToPublic, false);
  assert.equal(config.onlyAlertForMdc, false);
  const custom = loadDomainConfig({ GWQUEUE_SUPEREVENT_D_T_START: 'pycbc=2.5', GWQUEUE_PRELIMINARY_ALERT_FAR_THRESHOLD: 'cbc=1e-7' });
  assert.equal(custom.superevent.dtStart.pycbc, 2.5);
  assert.equal(custom.superevent.dtStart.default, 1, 'default kept');
  assert.throws(() => loadDomainConfig({ GWQUEUE_SUPEREVENT_FAR_THRESHOLD: 'lots' }), /GWQUEUE_SUPEREVENT_FAR_THRESHOLD/);
  assert.throws(() => loadDomainConfig({ GRACEDB_USERNAME: 'alice' }), /GRACEDB_PASSWORD/);
});

test('segments: per-pipeline windows, cWB duration; intersection needs real overlap', () => {
  assert.deepEqual(eventSegment(cbcEvent({ gpstime: 100 }), config), { t_0: 100, t_start: 99, t_end: 101 });
  assert.deepEqual(eventSegment(burstEvent({ gpstime: 100, duration: 0.25 }), config), { t_0: 100, t_start: 99.75, t_end: 100.25 });
  const wide = loadDomainConfig({ GWQUEUE_SUPEREVENT_D_T_END: 'pycbc=3' });
  assert.equal(eventSegment(cbcEvent({ gpstime: 100, pipeline: 'pycbc' }), wide).t_end, 103);
  assert.ok(segmentsIntersect({ t_start: 99, t_end: 101 }, { t_start: 100.5, t_end: 102.5 }));
  assert.ok(!segmentsIntersect({ t_start: 99, t_end: 101 }, { t_start: 101, t_end: 103 }), 'touching is not overlapping');
});

test('completeness: CBC needs sky map, em_bright and p_astro; Burst the sky map only', () => {
  assert.ok(isComplete(cbcEvent()));
  assert.ok(!isComplete(cbcEvent({ labels: ['SKYMAP_READY', 'EMBRIGHT_READY'] })));
  assert.ok(isComplete(burstEvent({ labels: ['SKYMAP_READY'] })));
  assert.ok(!isComplete(burstEvent({ labels: [] })));
});

test('publishability: FAR × trials factor against the group threshold; offline, INJ block; RAVEN_ALERT rescues', () => {
  const threshold = 1 / (60 * 86400);
  assert.ok(passesFarThreshold(cbcEvent({ far: threshold / 5.01 }), config), 'just under the threshold after 5 trials');
  assert.ok(!passesFarThreshold(cbcEvent({ far: threshold / 4 }), config), 'passes alone, not with 5 trials');
  assert.ok(shouldPublish(cbcEvent({ far: 1e-10 }), config));
  assert.ok(!shouldPublish(cbcEvent({ far: 1e-10, offline: true }), config));
  assert.ok(!shouldPublish(cbcEvent({ far: 1e-10, labels: ['INJ'] }), config));
  assert.ok(!shouldPublish(cbcEvent({ far: 1e-5 }), config));
  assert.ok(shouldPublish(cbcEvent({ far: 1e-5, labels: ['RAVEN_ALERT'] }), config));
  assert.ok(!shouldPublish(cbcEvent({ far: null }), config));
  assert.ok(shouldPublish(cbcEvent({ far: 1e-6, labels: ['EARLY_WARNING'] }), config), 'early-warning threshold 1/day ÷ 2 trials');
});

test('preferred event: complete, then publishable, then CBC over Burst, then detectors, then SNR (CBC) or −FAR (Burst)', () => {
  const better = (a: ReturnType<typeof cbcEvent>, b: ReturnType<typeof cbcEvent>) => isBetterPreferred(a, b, config);
  assert.ok(better(cbcEvent({ snr: 8 }), cbcEvent({ snr: 30, labels: ['SKYMAP_READY'] })), 'completeness first');
  assert.ok(better(cbcEvent({ snr: 8, far: 1e-12 }), cbcEvent({ snr: 30, far: 1e-5 })), 'publishable before loud');
  assert.ok(better(cbcEvent({ snr: 8 }), burstEvent({ far: 1e-20 })), 'CBC before Burst');
  assert.ok(better(cbcEvent({ snr: 9, ifos: ['H1', 'L1', 'V1'] }), cbcEvent({ snr: 20, ifos: ['H1', 'L1'] })), 'more detectors');
  assert.ok(better(cbcEvent({ snr: 13 }), cbcEvent({ snr: 12 })), 'higher SNR');
  assert.ok(!better(cbcEvent({ snr: 12 }), cbcEvent({ snr: 12 })), 'a tie keeps the current one');
  assert.ok(better(burstEvent({ far: 1e-12 }), burstEvent({ far: 1e-11 })), 'Burst: lower FAR');
  assert.deepEqual(preferenceKey(cbcEvent({ snr: 11, ifos: ['L1', 'H1', 'L1'] }), config), [1, 1, 1, 1, 2, 11]);
  assert.deepEqual(eventInstruments(cbcEvent({ ifos: ['V1', 'H1'] })), ['H1', 'V1']);
  const events = [
    cbcEvent({ graceid: 'G1', snr: 10 }),
    cbcEvent({ graceid: 'G2', snr: 14 }),
    { ...cbcEvent({ graceid: 'E3', snr: 99 }), group: 'External' },
    cbcEvent({ graceid: 'G4', snr: 12 }),
  ];
  assert.equal(selectPreferredEvent(events, config)?.graceid, 'G2');
});

test('labels that wake the superevent manager: the one completing an event, or RAVEN_ALERT', () => {
  assert.ok(labelTriggersGrouping(cbcEvent(), 'PASTRO_READY', config));
  assert.ok(!labelTriggersGrouping(cbcEvent({ labels: ['SKYMAP_READY'] }), 'SKYMAP_READY', config), 'not complete yet');
  assert.ok(!labelTriggersGrouping(cbcEvent(), 'DQOK', config));
  assert.ok(labelTriggersGrouping(cbcEvent({ labels: [] }), 'RAVEN_ALERT', config));
  assert.ok(!labelTriggersGrouping(cbcEvent({ far: 1 }), 'RAVEN_ALERT', config), 'above the grouping FAR threshold');
});

test('joint MDC frequency: superevent suffixes read as numbers (a=1, b=2, …, aa=27)', () => {
  assert.deepEqual(
    ['MS240101a', 'MS240101b', 'MS240101c', 'MS240101z', 'MS240101aa', 'MS240101ab'].map((id) => isJointMdc(id, 2)),
    [false, true, false, true, false, true],
  );
  assert.ok(isJointMdc('MS240101j', 10));
  assert.ok(!isJointMdc('MS240101b', 0), '0 disables');
});
