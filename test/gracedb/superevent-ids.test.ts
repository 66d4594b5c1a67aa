// Pure helpers: superevent suffixes, GPS ↔ UTC with leap seconds, superevent ID dates, object ID recognition.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dateToGps, gpsToDate } from '../../src/gracedb/gps-time.js';
import { eventCategory, isEventId, isSupereventId, splitVersionedFilename } from '../../src/gracedb/id-patterns.js';
import { formatSupereventId, supereventDate, supereventSuffix } from '../../src/gracedb/superevent-ids.js';

describe('supereventSuffix', () => {
  it('counts a…z, aa…az, ba…zz, aaa', () => {
    assert.equal(supereventSuffix(1), 'a');
    assert.equal(supereventSuffix(2), 'b');
    assert.equal(supereventSuffix(26), 'z');
    assert.equal(supereventSuffix(27), 'aa');
    assert.equal(supereventSuffix(28), 'ab');
    assert.equal(supereventSuffix(52), 'az');
    assert.equal(supereventSuffix(53), 'ba');
    assert.equal(supereventSuffix(702), 'zz');
    assert.equal(supereventSuffix(703), 'aaa');
  });

  it('never repeats a suffix and keeps them in order of length', () => {
    const suffixes = Array.from({ length: 2000 }, (_, index) => supereventSuffix(index + 1));
    assert.equal(new Set(suffixes).size, suffixes.length);
    for (let index = 1; index < suffixes.length; index += 1) {
      assert.ok(suffixes[index].length >= suffixes[index - 1].length, `${suffixes[index]} after ${suffixes[index - 1]}`);
    }
  });

  it('rejects 0, negatives and fractions', () => {
    assert.throws(() => supereventSuffix(0), RangeError);
    assert.throws(() => supereventSuffix(-3), RangeError);
    assert.throws(() => supereventSuffix(1.5), RangeError);
  });
});

describe('GPS time', () => {
  it('converts known events with the leap seconds of their time', () => {
    // GW170817 (GPS − UTC = 18 s) and GW150914 (17 s, before the 2017 leap second).
    assert.equal(gpsToDate(1187008882.4).toISOString(), '2017-08-17T12:41:04.400Z');
    assert.equal(gpsToDate(1126259462.4).toISOString(), '2015-09-14T09:50:45.400Z');
    assert.equal(dateToGps(new Date('2017-08-17T12:41:04.400Z')), 1187008882.4);
    assert.equal(gpsToDate(0).toISOString(), '1980-01-06T00:00:00.000Z');
  });

  it('round-trips across the 2017 leap second', () => {
    assert.equal(dateToGps(new Date('2017-01-01T00:00:00Z')), 1167264018);
    assert.equal(dateToGps(new Date('2016-12-31T23:59:59Z')), 1167264016);
    for (const iso of ['2016-12-31T23:59:59.000Z', '2017-01-01T00:00:00.000Z', '2024-02-29T12:00:00.000Z']) {
      assert.equal(gpsToDate(dateToGps(new Date(iso))).toISOString(), iso);
    }
  });
});

describe('superevent IDs', () => {
  it('take the UTC date of t_0, changing exactly at midnight', () => {
    const midnight = dateToGps(new Date('2019-02-01T00:00:00Z'));
    assert.equal(supereventDate(midnight - 0.5), '190131');
    assert.equal(supereventDate(midnight), '190201');
    assert.equal(formatSupereventId('production', midnight + 0.5, 1), 'S190201a');
    assert.equal(formatSupereventId('mdc', midnight - 0.5, 28), 'MS190131ab');
    assert.equal(formatSupereventId('test', midnight, 26), 'TS190201z');
  });

  it('recognises superevent IDs and event graceids', () => {
    for (const id of ['S190425z', 'MS190425az', 'TS240101a', 'GW170817']) assert.ok(isSupereventId(id), id);
    for (const id of ['G1234', 'S19042z', 'XS190425a', 's190425a', '']) assert.ok(!isSupereventId(id), id);
    for (const id of ['G1', 'M0042', 'T7', 'E99']) assert.ok(isEventId(id), id);
    for (const id of ['S190425z', 'X1', 'G', 'G12a']) assert.ok(!isEventId(id), id);
  });

  it('assigns events to categories as GraceDB does', () => {
    assert.equal(eventCategory({ group: 'Test', search: 'MDC' }), 'test');
    assert.equal(eventCategory({ group: 'CBC', search: 'MDC' }), 'mdc');
    assert.equal(eventCategory({ group: 'External', search: 'GRB' }), 'production');
  });

  it('splits versioned file names', () => {
    assert.deepEqual(splitVersionedFilename('bayestar.fits.gz,3'), { name: 'bayestar.fits.gz', version: 3 });
    assert.deepEqual(splitVersionedFilename('bayestar.fits.gz'), { name: 'bayestar.fits.gz', version: undefined });
    assert.deepEqual(splitVersionedFilename('a,b.txt'), { name: 'a,b.txt', version: undefined });
  });
});
