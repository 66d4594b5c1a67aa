// All five kinds of alert as the chains send them (EARLYWARNING, PRELIMINARY, INITIAL, UPDATE, RETRACTION), with and
// without an external coincidence: each passes the official JSON Schema and Avro schema as written to the outbox and as
// encoded, its Avro form is its JSON form, its sky map is a multi-order FITS file with a HEALPix table, its VOEvent is a
// VOEvent 2.0 document.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { eventually } from '../helpers/eventually.js';
import { DOMAIN_SETTINGS, startInProcessPerTest, type InProcess, untilComplete } from '../helpers/in-process.js';
import { getAlertAvro, listAlerts } from '../../src/alerts/outbox.js';
import { alertProblems, type AlertType } from '../../src/alerts/schema.js';
import { alertAvroProblems, decodeAlertsAvro, encodeAlertAvro } from '../../src/alerts/avro.js';
import type { EmbeddedGraceDb } from '../../src/gracedb/index.js';
import { latestDataProducts } from '../../src/tasks/superevent-files.js';

interface Mock {
  graceid: string;
  superevent_id: string;
  external_id?: string;
}

const ALL_TYPES: AlertType[] = ['EARLYWARNING', 'PRELIMINARY', 'INITIAL', 'UPDATE', 'RETRACTION'];

/** The header cards of each HDU of a FITS file, read by the standard's own layout (2880-byte blocks, 80-byte cards). */
function fitsHeaders(bytes: Buffer): Map<string, string>[] {
  const headers: Map<string, string>[] = [];
  let offset = 0;
  while (offset + 2880 <= bytes.length) {
    const cards = new Map<string, string>();
    let ended = false;
    while (!ended) {
      const block = bytes.subarray(offset, offset + 2880).toString('latin1');
      offset += 2880;
      for (let at = 0; at < 2880; at += 80) {
        const card = block.slice(at, at + 80);
        const key = card.slice(0, 8).trim();
        if (key === 'END') {
          ended = true;
          break;
        }
        if (card.slice(8, 10) === '= ')
          cards.set(
            key,
            card
              .slice(10)
              .split('/')[0]
              .trim()
              .replace(/^'(.*)'$/, '$1')
              .trim(),
          );
      }
    }
    headers.push(cards);
    const axes = Number(cards.get('NAXIS') ?? 0);
    let data = axes ? 1 : 0;
    for (let axis = 1; axis <= axes; axis += 1) data *= Number(cards.get(`NAXIS${axis}`));
    data = (Math.abs(Number(cards.get('BITPIX') ?? 8)) / 8) * data + Number(cards.get('PCOUNT') ?? 0);
    offset += Math.ceil(data / 2880) * 2880;
  }
  return headers;
}

function assertMultiOrderFits(label: string, base64: string): void {
  const headers = fitsHeaders(Buffer.from(base64, 'base64'));
  assert.equal(headers[0]?.get('SIMPLE'), 'T', `${label}: a FITS file`);
  const table = headers.find((cards) => cards.get('XTENSION') === 'BINTABLE');
  assert.ok(table, `${label}: a binary table`);
  assert.deepEqual(
    [table.get('PIXTYPE'), table.get('ORDERING'), table.get('TTYPE1')],
    ['HEALPIX', 'NUNIQ', 'UNIQ'],
    `${label}: a multi-order HEALPix table`,
  );
}

/** Tags balanced and nested (a well-formed document), without a parser of our own making sense of it. */
function assertWellFormed(label: string, xml: string): void {
  const stack: string[] = [];
  for (const match of xml.replace(/<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([A-Za-z_][\w:.-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match;
    if (selfClosing) continue;
    if (closing) assert.equal(stack.pop(), name, `${label}: </${name}> closes what it opened`);
    else stack.push(name);
  }
  assert.deepEqual(stack, [], `${label}: every element is closed`);
}

describe('the five kinds of alert, sent', () => {
  const engines = startInProcessPerTest({ env: DOMAIN_SETTINGS, workers: [{}], services: true });

  async function ready(domain: InProcess, mock: Mock): Promise<Mock> {
    await untilComplete(domain, mock.superevent_id);
    return mock;
  }

  async function sentTypes(domain: InProcess, sid: string): Promise<string[]> {
    return (await listAlerts(domain.services.redis, domain.config, { supereventId: sid, count: 50 })).map((entry) => entry.alert_type);
  }

  /** The rest of a superevent's life after its first alert: OK, an update, NO; each waited for in the outbox. */
  async function liveOn(domain: InProcess, sid: string): Promise<void> {
    const { gracedb } = domain.services;
    const store = gracedb as EmbeddedGraceDb;
    await store.alertRecords.signoff(sid, { signoff_type: 'ADV', status: 'OK' });
    await eventually(async () => (await sentTypes(domain, sid)).includes('INITIAL'), 15_000, `INITIAL of ${sid}`);
    const files = latestDataProducts(await gracedb.getLogs(sid), { requirePublic: true });
    await domain.runChain('send_update_gcn', {
      superevent_id: sid,
      skymap_filename: files.skymap,
      em_bright_filename: files.em_bright,
      p_astro_filename: files.p_astro,
    });
    await store.alertRecords.signoff(sid, { signoff_type: 'ADV', status: 'NO' });
    await eventually(async () => (await sentTypes(domain, sid)).includes('RETRACTION'), 15_000, `RETRACTION of ${sid}`);
  }

  /** Every alert of these superevents in the outbox (its JSON and its Avro form) and every VOEvent they left. */
  async function checkSent(domain: InProcess, sids: string[], joint: boolean): Promise<void> {
    const { gracedb, redis } = domain.services;
    const outbox = (await listAlerts(redis, domain.config, { count: 50 })).filter((entry) => sids.includes(entry.superevent_id));
    assert.deepEqual(new Set(outbox.map((entry) => entry.alert_type)), new Set(ALL_TYPES), 'all five kinds');
    for (const entry of outbox) {
      const alert = entry.payload;
      const label = `${alert.alert_type} ${joint ? 'joint' : 'GW only'}`;
      if (alert.alert_type === 'RETRACTION') assert.deepEqual([alert.event, alert.external_coinc], [null, null], label);
      else assert.equal(alert.external_coinc !== null, joint, `${label}: its coincidence, when there is one`);
      assert.deepEqual(alertProblems(alert), [], `${label}: JSON Schema, as written to the outbox`);
      assert.deepEqual(alertAvroProblems(alert), [], `${label}: Avro schema`);
      // The Avro form the outbox holds, read by avsc's own container decoder, is the JSON form.
      const stored = (await getAlertAvro(redis, domain.config, entry.id))!;
      assert.equal(stored.subarray(0, 4).toString('latin1'), 'Obj\x01', `${label}: an Avro object container file`);
      const records: Record<string, unknown>[] = [];
      const decoder = new avro.streams.BlockDecoder();
      decoder.on('data', (record: Record<string, unknown>) => records.push(record));
      await new Promise<void>((resolve, reject) => decoder.on('end', resolve).on('error', reject).end(stored));
      assert.equal(records.length, 1, label);
      const event = records[0].event as { skymap: Buffer } | null;
      assert.equal(event?.skymap.toString('base64') ?? null, alert.event?.skymap ?? null, `${label}: the sky map as Avro bytes`);
      assert.deepEqual(decodeAlertsAvro(stored), [alert], `${label}: as written to the outbox`);
      assert.deepEqual(decodeAlertsAvro(encodeAlertAvro(alert)), [alert], `${label}: as encoded`);
      if (alert.event?.skymap) assertMultiOrderFits(label, alert.event.skymap);
    }

    // Every alert sent left its VOEvent: a VOEvent 2.0 document with the candidate's parameters.
    for (const superevent of sids) {
      const voevents = await gracedb.getVoevents(superevent);
      assert.equal(voevents.length, (await sentTypes(domain, superevent)).length, `${superevent}: one VOEvent per alert`);
      for (const voevent of voevents) {
        assert.match(
          voevent.filename,
          new RegExp(`^${superevent}-${voevent.N}-(EarlyWarning|Preliminary|Initial|Update|Retraction)\\.xml$`),
        );
        const xml = (await gracedb.download(voevent.filename, superevent)).toString('utf8');
        assertWellFormed(voevent.filename, xml);
        assert.match(xml, /<voe:VOEvent xmlns:voe="http:\/\/www\.ivoa\.net\/xml\/VOEvent\/v2\.0"[^>]* version="2\.0" role="observation"/);
        assert.match(xml, new RegExp(`<Param name="GraceID" dataType="string" ucd="meta.id" value="${superevent}"/>`));
        assert.match(xml, new RegExp(`<Param name="Pkt_Ser_Num" dataType="string" value="${voevent.N}"/>`));
        assert.match(xml, /<ISOTime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}<\/ISOTime>/);
        assert.match(xml, /<Who>\s*<Date>[^<]+<\/Date>\s*<Author>/);
        if (voevent.voevent_type === 'RE') {
          assert.match(xml, /<Param name="Packet_Type" dataType="int" value="164"\/>/);
          assert.doesNotMatch(xml, /GW_SKYMAP|Classification/, 'a retraction names no sky map and no classification');
        } else {
          assert.match(xml, /<Param name="FAR" dataType="float" ucd="arith.rate;stat.falsealarm" unit="Hz" value="[0-9.e+-]+"\/>/);
          assert.match(xml, /<Param name="Significant" dataType="int" value="1"\/>/);
          assert.match(
            xml,
            /<Group type="GW_SKYMAP" name="bayestar">\s*<Param name="skymap_fits" [^>]*value="[^"]+bayestar\.multiorder\.fits,\d+"/,
          );
          assert.match(xml, /<Group type="Classification">[\s\S]*<Param name="BNS" dataType="float"/);
          assert.match(xml, /<Group type="Properties">[\s\S]*<Param name="HasNS" dataType="float"/);
          assert.equal(voevent.coinc_comment, joint, `${voevent.filename}: CoincComment for the joint alerts`);
        }
      }
    }
  }

  test('GW only: an early warning, then a superevent through its whole life; each kind passes both schemas', async () => {
    const domain = await engines.start({ GWQUEUE_ALERT_SINK_FORMAT: 'avro' });
    // The early warning is sent by its freeze; the MDC event's preliminary alert by the form, the rest by sign-offs.
    const early = (await domain.runChain('send_mock_event', { search: 'EarlyWarning' })) as Mock;
    await eventually(async () => (await sentTypes(domain, early.superevent_id)).length === 1, 15_000, 'the EARLYWARNING alert');
    const plain = await ready(domain, (await domain.runChain('send_mock_event')) as Mock);
    await domain.runChain('send_preliminary_gcn', { superevent_id: plain.superevent_id, event_id: plain.graceid });
    await liveOn(domain, plain.superevent_id);
    await checkSent(domain, [early.superevent_id, plain.superevent_id], false);
  });

  test('joint: a RAVEN coincidence through its whole life, its first notice an early warning; each kind passes both schemas', async () => {
    const domain = await engines.start({ GWQUEUE_ALERT_SINK_FORMAT: 'avro' });
    const { gracedb } = domain.services;
    const joint = await ready(domain, (await domain.runChain('send_mock_joint_event')) as Mock);
    const sid = joint.superevent_id;
    await domain.runChain('apply_raven_labels', { superevent_id: sid, ext_id: joint.external_id, event_id: joint.graceid });
    // Labelled EARLY_WARNING, the superevent's notice is an early warning (GWCelery reads the superevent's labels).
    await gracedb.createLabel('EARLY_WARNING', sid);
    await domain.runChain('send_preliminary_gcn', { superevent_id: sid, event_id: joint.graceid });
    await gracedb.removeLabel('EARLY_WARNING', sid);
    await domain.runChain('send_preliminary_gcn', { superevent_id: sid, event_id: joint.graceid });
    await liveOn(domain, sid);
    await checkSent(domain, [sid], true);
  });
});
