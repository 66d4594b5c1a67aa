// VOEvents, public exposure and sign-offs in the embedded GraceDB: what GraceDB keeps around the alerts of an event or superevent.
import type { Redis } from 'ioredis';
import type { EmbeddedAnnotations } from './embedded-annotations.js';
import type { EmbeddedKeys } from './embedded-keys.js';
import type { EmbeddedRecords } from './embedded-records.js';
import { evalMarked, takeWriteMark } from './embedded-write-mark.js';
import { GraceDbBadRequestError, GraceDbNotFoundError } from './errors.js';
import { graceDbTime } from './gps-time.js';
import { isSupereventId } from './id-patterns.js';

/** GraceDB's VOEvent type codes and the names their files carry (`S190425z-1-Preliminary.xml`). */
export const VOEVENT_TYPES = {
  EW: 'EarlyWarning',
  PR: 'Preliminary',
  IN: 'Initial',
  UP: 'Update',
  RE: 'Retraction',
} as const;
export type VoeventType = keyof typeof VOEVENT_TYPES;

/** The optional fields of a VOEvent request, as GraceDB's VOEvent serializer names them in its answer. */
export interface VoeventInput {
  voevent_type: string;
  internal?: boolean;
  open_alert?: boolean;
  hardware_inj?: boolean;
  skymap_type?: string | null;
  skymap_filename?: string | null;
  coinc_comment?: boolean;
  prob_has_ns?: number | null;
  prob_has_remnant?: number | null;
  prob_bns?: number | null;
  prob_nsbh?: number | null;
  prob_bbh?: number | null;
  prob_terrestrial?: number | null;
  prob_mass_gap?: number | null;
}

export interface VoeventRecord extends Required<Omit<VoeventInput, 'voevent_type'>> {
  self: string;
  N: number;
  voevent_type: VoeventType;
  ivorn: string;
  filename: string;
  file_version: number;
  issuer: string;
  created: string;
  links: { file: string };
}

/** Sign-off types: an instrument's operator (OP, with H1, L1 or V1) or the EM advocate (ADV). */
export const SIGNOFF_TYPES = ['OP', 'ADV'] as const;
export const SIGNOFF_INSTRUMENTS = ['H1', 'L1', 'V1'] as const;
export const SIGNOFF_STATUSES = ['OK', 'NO'] as const;

export interface SignoffInput {
  signoff_type: string;
  instrument?: string;
  status: string;
  comment?: string;
}

export interface SignoffRecord {
  self: string;
  signoff_type: 'OP' | 'ADV';
  instrument: string;
  status: 'OK' | 'NO';
  comment: string;
  submitter: string;
  created: string;
}

export interface PermissionRecord {
  superevent: string;
  group: string;
  permission: string;
}

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[char]!);

/** A small VOEvent 2.0 document naming the alert: the embedded GraceDB keeps the record, not a full GCN notice. */
function voeventXml(record: Omit<VoeventRecord, 'self' | 'links'>, objectId: string): string {
  const params = Object.entries(record)
    .filter(([name]) => !['ivorn', 'filename', 'file_version', 'N', 'created', 'issuer'].includes(name))
    .map(([name, value]) => `    <Param name="${escapeXml(name)}" value="${escapeXml(String(value ?? ''))}"/>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<voe:VOEvent xmlns:voe="http://www.ivoa.net/xml/VOEvent/v2.0" version="2.0" role="${record.hardware_inj ? 'test' : 'observation'}" ivorn="${escapeXml(record.ivorn)}">
  <Who><Date>${escapeXml(record.created)}</Date></Who>
  <What>
    <Param name="GraceID" value="${escapeXml(objectId)}"/>
    <Param name="AlertType" value="${VOEVENT_TYPES[record.voevent_type]}"/>
${params}
  </What>
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

  /** A new VOEvent N (one more than there are), its XML file `{id}-{N}-{Type}.xml` and a log entry carrying it. */
  async createVoevent(objectId: string, input: VoeventInput): Promise<VoeventRecord> {
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
    const mark = takeWriteMark();
    // N is the count plus one, checked again in the script: a concurrent VOEvent makes this one count again.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const n = (await this.redis.llen(this.keys.voevents(objectId))) + 1;
      const filename = `${objectId}-${n}-${VOEVENT_TYPES[type]}.xml`;
      const stored = {
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
        [n, JSON.stringify(stored), voeventXml(stored, objectId), filename, JSON.stringify(log)],
        mark,
      );
      if (added.done) {
        const written = Number((added.earlier as { written?: unknown }).written);
        const [json] = await this.redis.lrange(this.keys.voevents(objectId), written - 1, written - 1);
        return this.voeventRecord(objectId, JSON.parse(json) as Omit<VoeventRecord, 'self' | 'links'>);
      }
      if (added.reply !== 'retry') return this.voeventRecord(objectId, stored);
    }
    throw new GraceDbBadRequestError(`VOEvents of ${objectId} kept being added concurrently; try again`, 409);
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
    return this.signoffRecord(supereventId, stored);
  }
}
