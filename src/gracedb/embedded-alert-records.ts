// VOEvents, public exposure and sign-offs in the embedded GraceDB: what GraceDB keeps around the alerts of an event or superevent.
import type { Redis } from 'ioredis';
import type { EmbeddedAnnotations } from './embedded-annotations.js';
import type { EmbeddedKeys } from './embedded-keys.js';
import type { EmbeddedRecords } from './embedded-records.js';
import { evalMarked, takeWriteMark, type MarkRecord } from './embedded-write-mark.js';
import { GraceDbBadRequestError, GraceDbNotFoundError } from './errors.js';
import { graceDbTime } from './gps-time.js';
import { isSupereventId } from './id-patterns.js';
import { escapeXml } from './xml-escape.js';
import { VOEVENT_TYPES, type VoeventInput, type VoeventRecord, type VoeventType } from './gracedb.js';

export { VOEVENT_TYPES, type VoeventInput };

/** What a VOEvent says of its candidate beyond the request: GraceDB reads it from the superevent and its preferred event. */
export interface VoeventFacts {
  /** t_0 (a superevent) or gpstime (an event), ISO 8601 UTC; null when unknown. */
  time: string | null;
  far: number | null;
  instruments: string;
  group: string;
  pipeline: string;
  search: string;
  /** The candidate's page, as the alert links it. */
  eventPage: string;
}

export type { SignoffInput, SignoffRecord } from './gracedb.js';
import type { SignoffInput, SignoffRecord } from './gracedb.js';

/** Sign-off types: an instrument's operator (OP, with H1, L1 or V1) or the EM advocate (ADV). */
export const SIGNOFF_TYPES = ['OP', 'ADV'] as const;
export const SIGNOFF_INSTRUMENTS = ['H1', 'L1', 'V1'] as const;
export const SIGNOFF_STATUSES = ['OK', 'NO'] as const;

export interface PermissionRecord {
  superevent: string;
  group: string;
  permission: string;
}

/** GCN's packet type of each kind of LVK notice. */
const PACKET_TYPES: Record<VoeventType, number> = { EW: 163, PR: 150, IN: 151, UP: 152, RE: 164 };

type StoredVoevent = Omit<VoeventRecord, 'self' | 'links'>;

function param(name: string, dataType: string, value: string | number, extra = ''): string {
  return `<Param name="${name}" dataType="${dataType}"${extra} value="${escapeXml(String(value))}"/>`;
}

function probabilityGroup(type: string, values: [string, number | null][]): string[] {
  const given = values.filter((entry): entry is [string, number] => entry[1] !== null);
  if (!given.length) return [];
  return [
    `<Group type="${type}">`,
    ...given.map(([name, value]) => `  ${param(name, 'float', value, ' ucd="stat.probability"')}`),
    '</Group>',
  ];
}

/**
 * The VOEvent 2.0 document of an LVK notice: GCN's packet type and serial number, the candidate's identity, FAR,
 * instruments, group, pipeline and search, its sky map's URL, classification and properties (none on a retraction),
 * and the time in WhereWhen.
 */
function voeventXml(record: StoredVoevent, objectId: string, facts: VoeventFacts, significant: boolean, skymapUrl: string | null): string {
  const retraction = record.voevent_type === 'RE';
  const params = [
    param('Packet_Type', 'int', PACKET_TYPES[record.voevent_type]),
    param('internal', 'int', record.internal ? 1 : 0),
    param('Pkt_Ser_Num', 'string', record.N),
    param('GraceID', 'string', objectId, ' ucd="meta.id"'),
    param('AlertType', 'string', VOEVENT_TYPES[record.voevent_type], ' ucd="meta.version"'),
    param('HardwareInj', 'int', record.hardware_inj ? 1 : 0),
    param('OpenAlert', 'int', record.open_alert ? 1 : 0),
    param('EventPage', 'string', facts.eventPage, ' ucd="meta.ref.url"'),
  ];
  const groups: string[] = [];
  if (!retraction) {
    params.push(
      param('Instruments', 'string', facts.instruments, ' ucd="meta.code"'),
      ...(facts.far === null ? [] : [param('FAR', 'float', facts.far, ' ucd="arith.rate;stat.falsealarm" unit="Hz"')]),
      param('Significant', 'int', significant ? 1 : 0),
      param('Group', 'string', facts.group, ' ucd="meta.code"'),
      param('Pipeline', 'string', facts.pipeline, ' ucd="meta.code"'),
      param('Search', 'string', facts.search, ' ucd="meta.code"'),
    );
    if (skymapUrl) {
      groups.push(
        `<Group type="GW_SKYMAP" name="${escapeXml(record.skymap_type ?? 'skymap')}">`,
        `  ${param('skymap_fits', 'string', skymapUrl, ' ucd="meta.ref.url"')}`,
        '</Group>',
      );
    }
    groups.push(
      ...probabilityGroup('Classification', [
        ['BNS', record.prob_bns],
        ['NSBH', record.prob_nsbh],
        ['BBH', record.prob_bbh],
        ['Terrestrial', record.prob_terrestrial],
      ]),
      ...probabilityGroup('Properties', [
        ['HasNS', record.prob_has_ns],
        ['HasRemnant', record.prob_has_remnant],
        ['HasMassGap', record.prob_mass_gap],
      ]),
    );
  }
  const what = [...params, ...groups].map((line) => `    ${line}`).join('\n');
  const when = facts.time ?? new Date().toISOString();
  return `<?xml version="1.0" encoding="UTF-8"?>
<voe:VOEvent xmlns:voe="http://www.ivoa.net/xml/VOEvent/v2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.ivoa.net/xml/VOEvent/v2.0 http://www.ivoa.net/xml/VOEvent/VOEvent-v2.0.xsd" version="2.0" role="${record.hardware_inj ? 'test' : 'observation'}" ivorn="${escapeXml(record.ivorn)}">
  <Who>
    <Date>${escapeXml(new Date().toISOString().replace(/\.\d{3}Z$/, ''))}</Date>
    <Author>
      <contactName>LIGO Scientific Collaboration, Virgo Collaboration and KAGRA Collaboration</contactName>
    </Author>
  </Who>
  <What>
${what}
  </What>
  <WhereWhen>
    <ObsDataLocation>
      <ObservatoryLocation id="LIGO Virgo KAGRA"/>
      <ObservationLocation>
        <AstroCoordSystem id="UTC-FK5-GEO"/>
        <AstroCoords coord_system_id="UTC-FK5-GEO">
          <Time unit="s">
            <TimeInstant>
              <ISOTime>${escapeXml(when.replace(/Z$/, ''))}</ISOTime>
            </TimeInstant>
          </Time>
        </AstroCoords>
      </ObservationLocation>
    </ObsDataLocation>
  </WhereWhen>
  <How>
    <Description>Candidate gravitational wave event identified by low-latency analysis</Description>
  </How>
  <Description>${retraction ? 'Retraction of a candidate gravitational wave event' : 'Report of a candidate gravitational wave event'}</Description>
</voe:VOEvent>
`;
}

function optionalProbability(value: unknown, field: string): number | null {
  if (value === undefined || value === null || value === '') return null;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || number > 1)
    throw new GraceDbBadRequestError(`${field}: a probability between 0 and 1 is required`);
  return number;
}

export class EmbeddedAlertRecords {
  constructor(
    private readonly redis: Redis,
    private readonly keys: EmbeddedKeys,
    private readonly records: EmbeddedRecords,
    private readonly annotations: EmbeddedAnnotations,
    private readonly submitter: string,
    /** The store's label follow-up (EmbeddedStoreOptions.onLabelAdded): a sign-off applies a label too. */
    private readonly onLabelAdded?: (objectId: string, label: string) => Promise<void> | void,
  ) {}

  private voeventRecord(objectId: string, stored: Omit<VoeventRecord, 'self' | 'links'>): VoeventRecord {
    const base = this.records.objectUrl(objectId);
    return {
      ...stored,
      self: isSupereventId(objectId) ? `${base}voevents/${stored.N}/` : `${base}voevent/${stored.N}`,
      links: { file: this.records.fileUrl(objectId, stored.filename) },
    };
  }

  async getVoevents(objectId: string): Promise<VoeventRecord[]> {
    await this.annotations.assertExists(objectId);
    const entries = await this.redis.lrange(this.keys.voevents(objectId), 0, -1);
    return entries.map((json) => this.voeventRecord(objectId, JSON.parse(json) as Omit<VoeventRecord, 'self' | 'links'>));
  }

  /**
   * A new VOEvent N (one more than there are), its XML file `{id}-{N}-{Type}.xml` (from the request and `facts`, the
   * candidate as the store knows it) and a log entry carrying it.
   */
  async createVoevent(objectId: string, input: VoeventInput, facts: VoeventFacts): Promise<VoeventRecord> {
    const type = input.voevent_type as VoeventType;
    if (!(type in VOEVENT_TYPES)) {
      throw new GraceDbBadRequestError(
        `voevent_type: "${input.voevent_type}" is not a valid choice (${Object.keys(VOEVENT_TYPES).join(', ')})`,
      );
    }
    const fields = {
      internal: input.internal ?? true,
      open_alert: input.open_alert ?? false,
      hardware_inj: input.hardware_inj ?? false,
      skymap_type: input.skymap_type ?? null,
      skymap_filename: input.skymap_filename ?? null,
      coinc_comment: input.coinc_comment ?? false,
      prob_has_ns: optionalProbability(input.prob_has_ns, 'ProbHasNS'),
      prob_has_remnant: optionalProbability(input.prob_has_remnant, 'ProbHasRemnant'),
      prob_bns: optionalProbability(input.prob_bns, 'BNS'),
      prob_nsbh: optionalProbability(input.prob_nsbh, 'NSBH'),
      prob_bbh: optionalProbability(input.prob_bbh, 'BBH'),
      prob_terrestrial: optionalProbability(input.prob_terrestrial, 'Terrestrial'),
      prob_mass_gap: optionalProbability(input.prob_mass_gap, 'MassGap'),
    };
    await this.annotations.assertExists(objectId);
    const skymapUrl = fields.skymap_filename ? this.records.fileUrl(objectId, fields.skymap_filename) : null;
    const mark = takeWriteMark();
    // N is the count plus one, checked again in the script: a concurrent VOEvent makes this one count again.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const n = (await this.redis.llen(this.keys.voevents(objectId))) + 1;
      const filename = `${objectId}-${n}-${VOEVENT_TYPES[type]}.xml`;
      const stored: StoredVoevent = {
        N: n,
        voevent_type: type,
        ivorn: `ivo://gwnet/LVC#${objectId}-${n}-${VOEVENT_TYPES[type]}`,
        filename,
        file_version: 0,
        issuer: this.submitter,
        created: graceDbTime(),
        ...fields,
      };
      const log = this.annotations.entry(`New VOEvent: ${VOEVENT_TYPES[type]}`, { filename, version: 0 });
      const added = await evalMarked(
        this.redis,
        'gracedb-add-voevent',
        [this.keys.voevents(objectId), this.keys.file(objectId, filename, 0), this.keys.fileVersions(objectId), this.keys.logs(objectId)],
        [
          n,
          JSON.stringify(stored),
          voeventXml(stored, objectId, facts, input.significant ?? false, skymapUrl),
          filename,
          JSON.stringify(log),
        ],
        mark,
      );
      if (added.done) {
        return this.earlierVoevent(objectId, added.earlier);
      }
      if (added.reply !== 'retry') return this.voeventRecord(objectId, stored);
    }
    throw new GraceDbBadRequestError(`VOEvents of ${objectId} kept being added concurrently; try again`, 409);
  }

  /** The VOEvent an earlier run of a write made (its write mark names its N). */
  async earlierVoevent(objectId: string, earlier: MarkRecord): Promise<VoeventRecord> {
    const written = Number((earlier as { written?: unknown }).written);
    const [json] = await this.redis.lrange(this.keys.voevents(objectId), written - 1, written - 1);
    return this.voeventRecord(objectId, JSON.parse(json) as StoredVoevent);
  }

  async getPermissions(supereventId: string): Promise<PermissionRecord[]> {
    await this.annotations.assertExists(supereventId);
    const exposed = (await this.redis.hget(this.keys.superevent(supereventId), 'exposed')) === '1';
    const internal = ['view_superevent', 'annotate_superevent', 'change_superevent'].map((permission) => ({
      superevent: supereventId,
      group: 'internal_users',
      permission,
    }));
    return exposed ? [...internal, { superevent: supereventId, group: 'public_users', permission: 'view_superevent' }] : internal;
  }

  /** `expose` or `hide`; doing what is done already changes nothing and logs nothing. */
  async setExposed(supereventId: string, action: string): Promise<PermissionRecord[]> {
    if (action !== 'expose' && action !== 'hide') throw new GraceDbBadRequestError(`action: "${action}" is not one of expose, hide`);
    if (!isSupereventId(supereventId)) throw new GraceDbNotFoundError(`no superevent ${supereventId} in the embedded GraceDB`);
    const log = this.annotations.entry(action === 'expose' ? 'Exposed superevent to public' : 'Hid superevent from public');
    const set = await evalMarked(
      this.redis,
      'gracedb-set-exposed',
      [this.keys.superevent(supereventId), this.keys.logs(supereventId)],
      [action === 'expose' ? '1' : '', JSON.stringify(log)],
    );
    if (!set.done && set.reply === 'missing') throw new GraceDbNotFoundError(`no superevent ${supereventId} in the embedded GraceDB`);
    return this.getPermissions(supereventId);
  }

  private signoffRecord(supereventId: string, stored: Omit<SignoffRecord, 'self'>): SignoffRecord {
    const key = `${stored.signoff_type}${stored.instrument}`;
    return { self: `${this.records.objectUrl(supereventId)}signoffs/${key}/`, ...stored };
  }

  async getSignoffs(supereventId: string): Promise<SignoffRecord[]> {
    await this.annotations.assertExists(supereventId);
    const hash = await this.redis.hgetall(this.keys.signoffs(supereventId));
    return Object.keys(hash)
      .sort()
      .map((key) => this.signoffRecord(supereventId, JSON.parse(hash[key]) as Omit<SignoffRecord, 'self'>));
  }

  /** The checked sign-off (who may sign is the caller's rule: see web/gracedb). */
  static checkSignoff(input: SignoffInput): { type: 'OP' | 'ADV'; instrument: string; status: 'OK' | 'NO'; comment: string } {
    const type = input.signoff_type;
    if (!(SIGNOFF_TYPES as readonly string[]).includes(type))
      throw new GraceDbBadRequestError(`signoff_type: "${type}" is not one of OP, ADV`);
    const instrument = input.instrument ?? '';
    if (type === 'OP' && !(SIGNOFF_INSTRUMENTS as readonly string[]).includes(instrument))
      throw new GraceDbBadRequestError(`instrument: an operator sign-off needs one of ${SIGNOFF_INSTRUMENTS.join(', ')}`);
    if (type === 'ADV' && instrument !== '') throw new GraceDbBadRequestError('instrument: an advocate sign-off has no instrument');
    if (!(SIGNOFF_STATUSES as readonly string[]).includes(input.status))
      throw new GraceDbBadRequestError(`status: "${input.status}" is not one of OK, NO`);
    const comment = input.comment ?? '';
    if (comment.length > 2000) throw new GraceDbBadRequestError('comment: at most 2000 characters');
    return { type: type as 'OP' | 'ADV', instrument, status: input.status as 'OK' | 'NO', comment };
  }

  /**
   * Records a sign-off. As in GraceDB, it sets the labels that follow: an advocate's OK or NO applies ADVOK or ADVNO
   * in place of ADVREQ (and of the other verdict); an operator's, H1OPS → H1OK or H1NO.
   */
  async signoff(supereventId: string, input: SignoffInput): Promise<SignoffRecord> {
    const { type, instrument, status, comment } = EmbeddedAlertRecords.checkSignoff(input);
    if (!isSupereventId(supereventId)) throw new GraceDbNotFoundError(`no superevent ${supereventId} in the embedded GraceDB`);
    const stem = type === 'ADV' ? 'ADV' : instrument;
    const label = `${stem}${status}`;
    const removed =
      type === 'ADV' ? ['ADVREQ', status === 'OK' ? 'ADVNO' : 'ADVOK'] : [`${stem}OPS`, `${stem}${status === 'OK' ? 'NO' : 'OK'}`];
    const stored: Omit<SignoffRecord, 'self'> = {
      signoff_type: type,
      instrument,
      status,
      comment,
      submitter: this.submitter,
      created: graceDbTime(),
    };
    const who = type === 'ADV' ? 'advocate' : `${instrument} operator`;
    const log = this.annotations.entry(`${who} signoff certified status as ${status}${comment ? `: ${comment}` : ''}`);
    const signed = await evalMarked(
      this.redis,
      'gracedb-sign-off',
      [
        this.keys.signoffs(supereventId),
        this.keys.labels(supereventId),
        this.keys.order,
        this.keys.logs(supereventId),
        this.keys.superevent(supereventId),
      ],
      [`${type}:${instrument}`, JSON.stringify(stored), label, JSON.stringify(removed), JSON.stringify(log)],
    );
    if (!signed.done && signed.reply === 'missing') throw new GraceDbNotFoundError(`no superevent ${supereventId} in the embedded GraceDB`);
    await this.onLabelAdded?.(supereventId, label);
    return this.signoffRecord(supereventId, stored);
  }
}
