// Reading gpstime, FAR, instruments and extra attributes out of uploaded event files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventFileError, summariseEventFile } from '../../src/gracedb/event-file.js';
import { dateToGps } from '../../src/gracedb/gps-time.js';
import { coincXml, GRB_OF_SAMPLE, grbVoEvent, jsonEvent } from './sample-files.js';

describe('summariseEventFile', () => {
  it('reads a LIGO-LW coinc.xml: coinc_inspiral and every sngl_inspiral row', () => {
    const summary = summariseEventFile(
      'coinc.xml',
      Buffer.from(coincXml({ endTime: 1239917954, endTimeNs: 250000000, far: 1.2e-10, snr: 14.2 })),
    );
    assert.equal(summary.gpstime, 1239917954.25);
    assert.equal(summary.far, 1.2e-10);
    assert.equal(summary.instruments, 'H1,L1');
    const coinc = summary.extra_attributes.CoincInspiral!;
    assert.equal(coinc.snr, 14.2);
    assert.equal(coinc.mchirp, 1.18);
    assert.equal(coinc.minimum_duration, null);
    const singles = summary.extra_attributes.SingleInspiral!;
    assert.deepEqual(
      singles.map((row) => [row.ifo, row.snr, row.event_id]),
      [
        ['H1', 8, 'sngl_inspiral:event_id:0'],
        ['L1', 9, 'sngl_inspiral:event_id:1'],
      ],
    );
  });

  it('reads the time, position and GraceDB GrbEvent fields of a GRB VOEvent', () => {
    const summary = summariseEventFile('grb.xml', grbVoEvent('2019-04-25T08:18:30.5'));
    assert.equal(summary.gpstime, dateToGps(new Date('2019-04-25T08:18:30.5Z')));
    assert.equal(summary.instruments, 'GBM');
    assert.deepEqual(summary.extra_attributes.GRB, GRB_OF_SAMPLE);
  });

  it('reads a JSON object with the record’s field names', () => {
    const summary = summariseEventFile('event.json', jsonEvent(1300000000.5, 3e-9, 'H1,V1'));
    assert.deepEqual([summary.gpstime, summary.far, summary.instruments], [1300000000.5, 3e-9, 'H1,V1']);
    assert.equal(summary.extra_attributes.CoincInspiral?.snr, 10);
  });

  it('refuses files it cannot read, naming the file', () => {
    assert.throws(
      () => summariseEventFile('junk.bin', 'hello'),
      (error: Error) => error instanceof EventFileError && /junk\.bin/.test(error.message),
    );
    assert.throws(() => summariseEventFile('e.json', '{"far": 1}'), /gpstime/);
    assert.throws(() => summariseEventFile('e.json', '{"gpstime": "soon"}'), /gpstime/);
    assert.throws(() => summariseEventFile('coinc.xml', '<LIGO_LW></LIGO_LW>'), /coinc_inspiral/);
  });
});
