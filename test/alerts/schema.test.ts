// The IGWN alert schema shipped in schemas/: valid alerts pass, each kind of mistake is named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { ALERT_SCHEMA_FILE, AlertValidationError, alertProblems, validateAlert } from '../../src/alerts/schema.js';
import { sampleAlert } from './sample-alert.js';

test('the schema file is in the repository and is JSON Schema', () => {
  assert.ok(existsSync(ALERT_SCHEMA_FILE), ALERT_SCHEMA_FILE);
  const schema = JSON.parse(readFileSync(ALERT_SCHEMA_FILE, 'utf8'));
  assert.match(schema.$schema, /json-schema\.org/);
  assert.deepEqual(schema.required.sort(), ['alert_type', 'event', 'external_coinc', 'superevent_id', 'time_created', 'urls']);
});

test('a complete PRELIMINARY alert is valid, with or without external_coinc', () => {
  assert.deepEqual(alertProblems(sampleAlert()), []);
  const joint = sampleAlert({
    external_coinc: {
      gcn_notice_id: 1388232000, ivorn: 'ivo://lvk.internal/Fermi#MDC-test_event2024-01-01T12:00:00Z', observatory: 'Fermi', search: 'MDC',
      time_difference: 2.1, time_coincidence_far: 3e-13, time_sky_position_coincidence_far: null,
    },
  });
  assert.deepEqual(alertProblems(joint), []);
  assert.equal(validateAlert(joint).external_coinc?.observatory, 'Fermi');
});

test('a RETRACTION has no event; any other alert must have one', () => {
  assert.deepEqual(alertProblems(sampleAlert({ alert_type: 'RETRACTION', event: null })), []);
  assert.ok(alertProblems(sampleAlert({ alert_type: 'UPDATE', event: null })).length > 0);
  assert.ok(alertProblems(sampleAlert({ alert_type: 'RETRACTION' })).length > 0);
});

test('invalid alerts are rejected with the offending field named', () => {
  const cases: [string, unknown, RegExp][] = [
    ['missing superevent_id', (({ superevent_id: _s, ...rest }) => rest)(sampleAlert()), /superevent_id/],
    ['bad superevent_id', sampleAlert({ superevent_id: 'G1234' }), /\/superevent_id/],
    ['unknown alert_type', sampleAlert({ alert_type: 'PRELIM' as never }), /\/alert_type/],
    ['time_created not ISO', sampleAlert({ time_created: 'yesterday' }), /\/time_created/],
    ['negative far', sampleAlert({ event: { ...sampleAlert().event!, far: -1 } }), /\/event\/far/],
    ['probability above 1', sampleAlert({ event: { ...sampleAlert().event!, classification: { BNS: 1.5 } } }), /\/event\/classification\/BNS/],
    ['unknown detector', sampleAlert({ event: { ...sampleAlert().event!, instruments: ['X9'] } }), /\/event\/instruments/],
    ['sky map not base64', sampleAlert({ event: { ...sampleAlert().event!, skymap: 'not base64!' } }), /\/event\/skymap/],
    ['extra top-level field', { ...sampleAlert(), secret: 1 }, /additional properties "secret"/],
    ['urls without gracedb', sampleAlert({ urls: {} as never }), /\/urls/],
  ];
  for (const [what, alert, expected] of cases) {
    const problems = alertProblems(alert);
    assert.ok(problems.length > 0, `${what} should be invalid`);
    assert.match(problems.join('\n'), expected, what);
  }
  assert.throws(() => validateAlert(sampleAlert({ superevent_id: 'nope' })), (error: unknown) => error instanceof AlertValidationError && /superevent_id/.test(error.message));
});
