// Nagios ranges and perfdata exactly as the plugin guidelines define them, plus the threshold option forms.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeRange,
  formatNumber,
  formatPerfDatum,
  parseRange,
  rangeAlerts,
  thresholdLevel,
  NagiosRangeError,
} from '../../src/health/nagios-range.js';
import {
  combineThresholdOptions,
  parseThresholdList,
  parseThresholdPair,
  ThresholdOptionError,
} from '../../src/health/threshold-options.js';

const alertsAt = (range: string, values: number[]) => values.map((v) => rangeAlerts(parseRange(range), v));

describe('Nagios ranges', () => {
  test("the guidelines' example table", () => {
    // 10: alert if < 0 or > 10
    assert.deepEqual(alertsAt('10', [-1, 0, 5, 10, 10.01, 11]), [true, false, false, false, true, true]);
    // 10: alert if < 10
    assert.deepEqual(alertsAt('10:', [9.99, 10, 1e9]), [true, false, false]);
    // ~:10 alert if > 10
    assert.deepEqual(alertsAt('~:10', [-1e9, 10, 10.5]), [false, false, true]);
    // 10:20 alert if < 10 or > 20
    assert.deepEqual(alertsAt('10:20', [9, 10, 15, 20, 21]), [true, false, false, false, true]);
    // @10:20 alert if ≥ 10 and ≤ 20
    assert.deepEqual(alertsAt('@10:20', [9, 10, 15, 20, 21]), [false, true, true, true, false]);
  });

  test('parsed bounds', () => {
    assert.deepEqual(parseRange(' 10 '), { start: 0, end: 10, inside: false, text: '10' });
    assert.deepEqual(parseRange('10:'), { start: 10, end: Infinity, inside: false, text: '10:' });
    assert.deepEqual(parseRange('~:10'), { start: -Infinity, end: 10, inside: false, text: '~:10' });
    assert.deepEqual(parseRange('@-5.5:0.25'), { start: -5.5, end: 0.25, inside: true, text: '@-5.5:0.25' });
    assert.deepEqual(parseRange(':7'), { start: 0, end: 7, inside: false, text: ':7' });
  });

  test('bad ranges are rejected with a reason', () => {
    for (const bad of ['', 'abc', '20:10', '1:2:3', '~', '@', '10s', '1e3', '--5']) {
      assert.throws(() => parseRange(bad), NagiosRangeError, bad);
    }
    assert.throws(() => parseRange('20:10'), /start is greater than end/);
  });

  test('critical wins over warning; missing ranges never alert (guidelines: -w10 -c20)', () => {
    const w = parseRange('10');
    const c = parseRange('20');
    assert.equal(thresholdLevel(5, w, c), 'OK');
    assert.equal(thresholdLevel(15, w, c), 'WARNING');
    assert.equal(thresholdLevel(25, w, c), 'CRITICAL');
    assert.equal(thresholdLevel(-1, w, c), 'CRITICAL');
    assert.equal(thresholdLevel(1e9, undefined, undefined), 'OK');
  });

  test('ranges in words', () => {
    assert.equal(describeRange(parseRange('10')), 'above 10');
    assert.equal(describeRange(parseRange('~:0.2')), 'above 0.2');
    assert.equal(describeRange(parseRange('2:')), 'below 2');
    assert.equal(describeRange(parseRange('5:6')), 'outside 5..6');
    assert.equal(describeRange(parseRange('@10:20')), 'within 10..20');
    assert.equal(describeRange(parseRange('@10:')), 'at or above 10');
  });
});

describe('perfdata', () => {
  test("format 'label'=value[UOM];[warn];[crit];[min];[max], trailing empty fields dropped", () => {
    assert.equal(
      formatPerfDatum({ label: 'waiting_default', value: 3, unit: '', warning: '10', critical: '50', min: 0 }),
      "'waiting_default'=3;10;50;0",
    );
    assert.equal(
      formatPerfDatum({ label: 'oldest_waiting_age_default', value: 1.2, unit: 's', warning: '30', critical: '120', min: 0 }),
      "'oldest_waiting_age_default'=1.2s;30;120;0",
    );
    assert.equal(formatPerfDatum({ label: 'workers_online', value: 2, unit: '', min: 0 }), "'workers_online'=2;;;0");
    assert.equal(
      formatPerfDatum({
        label: 'failure_ratio_15m',
        value: 0,
        unit: '',
        warning: '0.05',
        critical: '0.2',
        min: 0,
        max: 1,
        decimals: [2, 4],
      }),
      "'failure_ratio_15m'=0.00;0.05;0.2;0;1",
    );
    assert.equal(formatPerfDatum({ label: 'check_time', value: 0.0503, unit: 's', decimals: [0, 2] }), "'check_time'=0.05s");
    assert.equal(formatPerfDatum({ label: 'age', value: null, unit: 's', min: 0 }), "'age'=U;;;0");
  });

  test('labels: quotes doubled, "=" replaced; values never in exponent notation', () => {
    assert.equal(formatPerfDatum({ label: "it's=odd", value: 1, unit: '' }), "'it''s_odd'=1");
    assert.equal(formatNumber(1e-7, 0, 3), '0');
    assert.equal(formatNumber(-0.0001, 0, 3), '0');
    assert.equal(formatNumber(123456.789, 0, 3), '123456.789');
    assert.equal(formatNumber(0.1, 2, 4), '0.10');
    assert.equal(formatNumber(0.123456, 2, 4), '0.1235');
  });
});

describe('threshold options', () => {
  test('per-metric "warning,critical" pairs; an empty side means none', () => {
    assert.deepEqual(parseThresholdPair('30,120'), { warning: '30', critical: '120' });
    assert.deepEqual(parseThresholdPair(',@10:20'), { warning: '', critical: '@10:20' });
    assert.throws(() => parseThresholdPair('30'), ThresholdOptionError);
    assert.throws(() => parseThresholdPair('30,x'), /critical: invalid range "x"/);
  });

  test('-w/-c lists: positional in metric order, or metric=range', () => {
    assert.deepEqual(parseThresholdList('10,30', 'warning'), { waiting: '10', 'oldest-waiting-age': '30' });
    assert.deepEqual(parseThresholdList(',,0.1', 'critical'), { 'failure-ratio': '0.1' });
    assert.deepEqual(parseThresholdList('failed-alerts=@1:3,workers-online=2:', 'warning'), {
      'failed-alerts': '@1:3',
      'workers-online': '2:',
    });
    assert.throws(() => parseThresholdList('bogus=1', 'warning'), /unknown metric "bogus"/);
    assert.deepEqual(parseThresholdList(',,,,,4200', 'warning'), { 'canary-age': '4200' }, 'the canary age is the sixth');
    assert.deepEqual(parseThresholdList(',,,,,,90', 'warning'), { 'redis-memory': '90' }, "Redis' memory is the seventh");
    assert.throws(() => parseThresholdList('1,2,3,4,5,6,7,8', 'warning'), /more than 7 ranges/);
    assert.throws(() => parseThresholdList('10,waiting=20', 'warning'), /given twice/);
  });

  test('combining: -w/-c fill one level; the same level both ways is refused', () => {
    assert.deepEqual(combineThresholdOptions({ waiting: '5' }, {}, { 'failure-ratio': { warning: '', critical: '0.5' } }), {
      waiting: { warning: '5' },
      'failure-ratio': { warning: '', critical: '0.5' },
    });
    assert.throws(() => combineThresholdOptions({}, { waiting: '5' }, { waiting: { warning: '1', critical: '2' } }), /--waiting and -c/);
  });
});
