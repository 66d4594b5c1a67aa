// Every alert gwqueue builds passes the official IGWN alert schemas (JSON Schema and Avro), and gwqueue reads the
// official example alerts (test/alerts/fixtures/, copied from the LVK Public Alerts User Guide).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { startInProcessPerTest, DOMAIN_SETTINGS, type InProcess, mockSuperevent } from '../helpers/in-process.js';
import { getAlertAvro, listAlerts } from '../../src/alerts/outbox.js';
import { alertProblems, type AlertType, type IgwnAlert, AlertValidationError } from '../../src/alerts/schema.js';
import { AVRO_SCHEMA_FILES, alertAvroProblems, decodeAlertsAvro, encodeAlertAvro } from '../../src/alerts/avro.js';
import { buildAlert } from '../../src/tasks/alert-builder.js';
import { latestDataProducts } from '../../src/tasks/superevent-files.js';
import { sampleAlert } from './sample-alert.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const EXAMPLES = ['earlywarning', 'preliminary', 'ext-update', 'retraction'];
const ALL_TYPES: AlertType[] = ['EARLYWARNING', 'PRELIMINARY', 'INITIAL', 'UPDATE', 'RETRACTION'];

function example(name: string): IgwnAlert {
  return JSON.parse(readFileSync(path.join(FIXTURES, `MS181101ab-${name}.json`), 'utf8')) as IgwnAlert;
}

/** The records of an Avro object container file, read by avsc's own container decoder (not gwqueue's). */
async function avscRecords(source: string | Buffer): Promise<Record<string, unknown>[]> {
  const decoder = typeof source === 'string' ? avro.createFileDecoder(source) : new avro.streams.BlockDecoder();
  const records: Record<string, unknown>[] = [];
  const done = new Promise<void>((resolve, reject) => {
    decoder.on('data', (record: Record<string, unknown>) => records.push(record));
    decoder.on('end', () => resolve());
    decoder.on('error', reject);
  });
  if (typeof source !== 'string') decoder.end(source);
  await done;
  return records;
}

/** The record with its sky maps (bytes in Avro) as the JSON form has them (base64). */
function asJson(record: Record<string, unknown>): unknown {
  const event = record.event as Record<string, unknown> | null;
  const coinc = record.external_coinc as Record<string, unknown> | null;
  const b64 = (value: unknown) => (Buffer.isBuffer(value) ? value.toString('base64') : value);
  return JSON.parse(
    JSON.stringify({
      ...record,
      event: event && { ...event, skymap: b64(event.skymap) },
      external_coinc: coinc && { ...coinc, combined_skymap: b64(coinc.combined_skymap) },
    }),
  );
}

/** Checks one alert against both official schemas and through both Avro decoders. */
async function assertOfficial(label: string, alert: IgwnAlert): Promise<void> {
  assert.deepEqual(alertProblems(alert), [], `${label}: JSON Schema`);
  assert.deepEqual(alertAvroProblems(alert), [], `${label}: Avro schema`);
  if (alert.event) {
    assert.ok('duration' in alert.event && 'central_frequency' in alert.event, `${label}: duration and central_frequency present`);
  }
  const encoded = encodeAlertAvro(alert);
  assert.equal(encoded.subarray(0, 4).toString('latin1'), 'Obj\x01', `${label}: an Avro object container file`);
  const [record, ...more] = await avscRecords(encoded);
  assert.equal(more.length, 0);
  assert.deepEqual(asJson(record), JSON.parse(JSON.stringify(alert)), `${label}: avsc reads back the same alert`);
  if (alert.event?.skymap) assert.ok(Buffer.isBuffer((record.event as { skymap: unknown }).skymap), `${label}: sky map as Avro bytes`);
  assert.deepEqual(decodeAlertsAvro(encoded), [alert], `${label}: gwqueue reads back the same alert`);
}

describe('alerts gwqueue builds follow the official IGWN alert schema v1.0', () => {
  const engines = startInProcessPerTest({ env: DOMAIN_SETTINGS, workers: [{}], services: true });

  const ready = (d: InProcess, chain: string) => mockSuperevent<{ graceid: string; superevent_id: string; external_id?: string }>(d, chain);

  test('every alert type, CBC and Burst, with and without an external coincidence and a combined sky map', async () => {
    const domain = await engines.start({ GWQUEUE_ALERT_SINK_FORMAT: 'avro' });
    const { gracedb, redis } = domain.services;
    const built: [string, IgwnAlert][] = [];

    // Sent by the operator chains (worker, embedded GraceDB, outbox in Avro format too).
    const plain = await ready(domain, 'send_mock_event');
    await domain.runChain('send_preliminary_gcn', { superevent_id: plain.superevent_id, event_id: plain.graceid });
    const joint = await ready(domain, 'send_mock_joint_event');
    await domain.runChain('apply_raven_labels', { superevent_id: joint.superevent_id, ext_id: joint.external_id, event_id: joint.graceid });
    await domain.runChain('send_preliminary_gcn', { superevent_id: joint.superevent_id, event_id: joint.graceid });
    // RAVEN's combined sky map on the superevent: the next alert carries it.
    const combinedBytes = await gracedb.download('bayestar.multiorder.fits', joint.graceid);
    await gracedb.writeLog(joint.superevent_id, 'Combined sky map', {
      filename: 'combined-ext.multiorder.fits',
      filecontents: combinedBytes,
      tags: ['sky_loc', 'ext_coinc'],
    });
    const files = latestDataProducts(await gracedb.getLogs(joint.superevent_id), { requirePublic: true });
    await domain.runChain('send_update_gcn', {
      superevent_id: joint.superevent_id,
      skymap_filename: files.skymap,
      em_bright_filename: files.em_bright,
      p_astro_filename: files.p_astro,
    });
    const outbox = await listAlerts(redis, domain.config, { count: 10 });
    assert.equal(outbox.length, 3, outbox.map((entry) => entry.alert_type).join(','));
    for (const entry of outbox) {
      assert.ok(entry.avro, 'the outbox entry holds the Avro form');
      assert.deepEqual(
        decodeAlertsAvro((await getAlertAvro(redis, domain.config, entry.id))!),
        [entry.payload],
        'the Avro form is the JSON form',
      );
      built.push([`outbox ${entry.alert_type} ${entry.payload.external_coinc ? 'joint' : 'GW only'}`, entry.payload]);
    }
    const update = outbox.find((entry) => entry.alert_type === 'UPDATE')!.payload;
    assert.equal(update.external_coinc?.combined_skymap, combinedBytes.toString('base64'), 'the combined sky map, base64');
    const jointPreliminary = outbox.find((entry) => entry.alert_type === 'PRELIMINARY' && entry.payload.external_coinc)!.payload;
    assert.equal(jointPreliminary.external_coinc?.combined_skymap, null, 'no combined map yet: null, as the schema allows');

    // The other alert types through the same builder.
    for (const sid of [plain.superevent_id, joint.superevent_id]) {
      const superevent = await gracedb.getSuperevent(sid);
      const superFiles = latestDataProducts(await gracedb.getLogs(sid), { requirePublic: true });
      for (const type of ALL_TYPES)
        built.push([`${type} ${sid}`, await buildAlert(gracedb, domain.config.domain, superevent, superFiles, type)]);
    }

    // A Burst (cWB) event: duration and central frequency from its MultiBurst attributes.
    const burst = await gracedb.createEvent({
      group: 'Burst',
      pipeline: 'CWB',
      search: 'AllSky',
      filename: 'event.json',
      filecontents: JSON.stringify({
        gpstime: 1_388_232_018.5,
        far: 1e-10,
        instruments: 'H1,L1',
        extra_attributes: { MultiBurst: { duration: 0.0625, central_freq: 151.4, snr: 20 } },
      }),
    });
    const burstSuperevent = await gracedb.createSuperevent({
      t_start: 1_388_232_017.5,
      t_0: 1_388_232_018.5,
      t_end: 1_388_232_019.5,
      preferred_event: burst.graceid,
    });
    const sky = await gracedb.writeLog(burstSuperevent.superevent_id, 'sky map', {
      filename: 'cwb.multiorder.fits',
      filecontents: combinedBytes,
      tags: ['sky_loc', 'public'],
    });
    const burstAlert = await buildAlert(
      gracedb,
      domain.config.domain,
      burstSuperevent,
      { skymap: `cwb.multiorder.fits,${sky.file_version ?? 0}` },
      'PRELIMINARY',
    );
    assert.deepEqual([burstAlert.event?.duration, burstAlert.event?.central_frequency], [0.0625, 151.4]);
    built.push(['Burst PRELIMINARY', burstAlert]);

    assert.deepEqual(new Set(built.map(([, alert]) => alert.alert_type)), new Set(ALL_TYPES));
    assert.ok(
      built.some(([, alert]) => alert.external_coinc?.combined_skymap) &&
        built.some(([, alert]) => alert.external_coinc && !alert.external_coinc.combined_skymap),
    );
    for (const [label, alert] of built) {
      if (alert.event?.group === 'CBC') assert.deepEqual([alert.event.duration, alert.event.central_frequency], [null, null], label);
      if (alert.alert_type === 'RETRACTION') assert.deepEqual([alert.event, alert.external_coinc], [null, null], label);
      await assertOfficial(label, alert);
    }
  });
});

test('the official example alerts validate with gwqueue’s validator and its Avro check', () => {
  for (const name of EXAMPLES) {
    const alert = example(name);
    assert.deepEqual(alertProblems(alert), [], name);
    assert.deepEqual(alertAvroProblems(alert), [], name);
  }
});

test('the official .avro examples decode with avsc’s container-file decoder and match their JSON twins', async () => {
  for (const name of ['preliminary', 'ext-update']) {
    const file = path.join(FIXTURES, `MS181101ab-${name}.avro`);
    const records = await avscRecords(file);
    assert.equal(records.length, 1, name);
    assert.ok(Buffer.isBuffer((records[0].event as { skymap: unknown }).skymap), `${name}: sky map as bytes`);
    assert.deepEqual(asJson(records[0]), example(name), name);
    assert.deepEqual(decodeAlertsAvro(readFileSync(file)), [example(name)], `${name}: gwqueue's reader`);
  }
});

test('the Avro schemas are the four official files, resolved through one registry', () => {
  assert.deepEqual(
    AVRO_SCHEMA_FILES.map((file) => path.basename(file)),
    ['AlertType', 'EventInfo', 'ExternalCoincInfo', 'Alert'].map((name) => `igwn.alerts.v1_0.${name}.avsc`),
  );
});

test('an alert a strict Avro encoder would reject is refused, with the field named', () => {
  const { duration: _d, central_frequency: _c, ...event } = sampleAlert().event!;
  const old = sampleAlert({ event: event as never });
  assert.deepEqual(alertProblems(old), [], 'the JSON Schema does not require duration');
  assert.match(alertAvroProblems(old).join('\n'), /\/event\/duration/);
  assert.throws(
    () => encodeAlertAvro(old),
    (error: unknown) => error instanceof AlertValidationError && /central_frequency/.test(error.message),
  );
  const bigNotice = sampleAlert({
    external_coinc: {
      gcn_notice_id: 2 ** 31,
      ivorn: 'ivo://x',
      observatory: 'Fermi',
      search: 'GRB',
      time_difference: 1,
      time_coincidence_far: null,
      time_sky_position_coincidence_far: null,
      combined_skymap: null,
    },
  });
  assert.match(alertAvroProblems(bigNotice).join('\n'), /\/external_coinc\/gcn_notice_id: must be Avro int/);
});
