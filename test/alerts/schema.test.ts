// gwqueue's validator is the official IGWN alert JSON Schema (schemas/): valid alerts pass, each kind of mistake is named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { ALERT_SCHEMA_FILE, AlertValidationError, alertProblems, validateAlert } from '../../src/alerts/schema.js';
import { sampleAlert } from './sample-alert.js';

const coinc = {
  gcn_notice_id: 1388232000,
  ivorn: 'ivo://lvk.internal/Fermi#MDC-test_event2024-01-01T12:00:00Z',
  observatory: 'Fermi',
  search: 'MDC',
  time_difference: 2.1,
  time_coincidence_far: 3e-13,
  time_sky_position_coincidence_far: null,
  combined_skymap: null,
};

test('the schema file is the official draft 2020-12 JSON Schema of igwn.alerts.v1_0', () => {
  assert.ok(existsSync(ALERT_SCHEMA_FILE), ALERT_SCHEMA_FILE);
  const schema = JSON.parse(readFileSync(ALERT_SCHEMA_FILE, 'utf8'));
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(schema.$id, 'http://emfollow.docs.ligo.org/_static/igwn.alerts.v1_0.Alert.schema.json');
  assert.deepEqual(schema.required.sort(), ['alert_type', 'event', 'external_coinc', 'superevent_id', 'time_created', 'urls']);
});

test('a complete PRELIMINARY alert is valid, with or without external_coinc', () => {
  assert.deepEqual(alertProblems(sampleAlert()), []);
  const joint = sampleAlert({ external_coinc: coinc });
  assert.deepEqual(alertProblems(joint), []);
  assert.equal(validateAlert(joint).external_coinc?.observatory, 'Fermi');
  assert.deepEqual(
    alertProblems(sampleAlert({ external_coinc: { ...coinc, combined_skymap: Buffer.from('SIMPLE').toString('base64') } })),
    [],
  );
});

test('a RETRACTION may have no event', () => {
  assert.deepEqual(alertProblems(sampleAlert({ alert_type: 'RETRACTION', event: null })), []);
});

test('invalid alerts are rejected with the offending field named', () => {
  const event = sampleAlert().event!;
  const cases: [string, unknown, RegExp][] = [
    ['missing superevent_id', (({ superevent_id: _s, ...rest }) => rest)(sampleAlert()), /superevent_id/],
    ['superevent_id not a string', sampleAlert({ superevent_id: 42 as never }), /\/superevent_id/],
    ['unknown alert_type', sampleAlert({ alert_type: 'PRELIM' as never }), /\/alert_type/],
    ['time_created not ISO', sampleAlert({ time_created: 'yesterday' }), /\/time_created/],
    ['far a string', sampleAlert({ event: { ...event, far: '1e-9' as never } }), /\/event\/far/],
    [
      'probability a string',
      sampleAlert({ event: { ...event, classification: { BNS: 'high' as never } } }),
      /\/event\/classification\/BNS/,
    ],
    ['event without skymap', sampleAlert({ event: (({ skymap: _s, ...rest }) => rest)(event) as never }), /skymap/],
    ['duration a string', sampleAlert({ event: { ...event, duration: '0.1' as never } }), /\/event\/duration/],
    [
      'external_coinc without combined_skymap',
      sampleAlert({ external_coinc: (({ combined_skymap: _c, ...rest }) => rest)(coinc) as never }),
      /combined_skymap/,
    ],
    ['url not a URI', sampleAlert({ urls: { gracedb: 'not a uri' } }), /\/urls\/gracedb/],
  ];
  for (const [what, alert, expected] of cases) {
    const problems = alertProblems(alert);
    assert.ok(problems.length > 0, `${what} should be invalid`);
    assert.match(problems.join('\n'), expected, what);
  }
  assert.throws(
    () => validateAlert(sampleAlert({ alert_type: 'nope' as never })),
    (error: unknown) => error instanceof AlertValidationError && /alert_type/.test(error.message),
  );
});
