// The alert a form would send if it were sent now (its confirmation step shows it): type, significance, files and versions, and what differs from the last alert of the superevent.
import type { DomainConfig } from '../config/domain.js';
import type { GraceDb, VoeventRecord } from '../gracedb/index.js';
import { VOEVENT_TYPES } from '../gracedb/gracedb.js';
import type { AlertType } from '../alerts/schema.js';
import { buildAlert } from './alert-builder.js';
import { exactFilename, latestDataProducts, readingFilesFrom, type DataProductFiles } from './superevent-files.js';
import { EARLY_WARNING_LABEL } from './superevent-rules.js';

/** What the form asks for: the orchestrator decides EARLYWARNING over PRELIMINARY from the superevent's labels, as here. */
export type PreviewKind = 'PRELIMINARY' | 'UPDATE' | 'INITIAL' | 'RETRACTION';

export interface AlertPreview {
  superevent_id: string;
  alert_type: AlertType;
  significant: boolean | null;
  far: number | null;
  /** `name,version` of each file the alert carries; `from`: the object they are read from now (a preliminary alert's event, before they are copied). */
  files: DataProductFiles;
  from: string;
  classification: Record<string, number>;
  properties: Record<string, number>;
  external_coinc: boolean;
  /** The superevent's last alert (its VOEvent), or null: none was sent. */
  last: { alert_type: string; filename: string; created: string } | null;
  /** One line per difference from the last alert ("sky map: bayestar.multiorder.fits,0 → bayestar.multiorder.fits,1"). */
  changes: string[];
  /** Set when the alert cannot be built now (no sky map, no FAR…): the orchestrator would refuse it too. */
  problem?: string;
}

const round = (value: number | null | undefined) => (typeof value === 'number' ? Number(value.toPrecision(3)) : null);

/** The VOEvent field of each probability an alert carries. */
const PROBABILITIES: [table: 'classification' | 'properties', key: string, field: keyof VoeventRecord][] = [
  ['classification', 'BNS', 'prob_bns'],
  ['classification', 'NSBH', 'prob_nsbh'],
  ['classification', 'BBH', 'prob_bbh'],
  ['classification', 'Terrestrial', 'prob_terrestrial'],
  ['properties', 'HasNS', 'prob_has_ns'],
  ['properties', 'HasRemnant', 'prob_has_remnant'],
  ['properties', 'HasMassGap', 'prob_mass_gap'],
];

function changesSince(last: VoeventRecord | undefined, preview: Omit<AlertPreview, 'changes' | 'last'>): string[] {
  if (!last) return ['the first alert of this superevent'];
  const lines: string[] = [];
  const lastType = VOEVENT_TYPES[last.voevent_type].toUpperCase();
  if (lastType !== preview.alert_type) lines.push(`type: ${lastType} → ${preview.alert_type}`);
  // A retraction withdraws the candidate: it carries no event, so nothing else of it is compared.
  if (preview.alert_type === 'RETRACTION') return [...lines, 'no event, sky map or probabilities: the candidate is withdrawn'];
  const skymap = preview.files.skymap ?? null;
  if ((last.skymap_filename ?? null) !== skymap) lines.push(`sky map: ${last.skymap_filename ?? 'none'} → ${skymap ?? 'none'}`);
  for (const [table, key, field] of PROBABILITIES) {
    const before = round(last[field] as number | null);
    const after = round(preview[table][key]);
    if (before !== after) lines.push(`${key}: ${before ?? '–'} → ${after ?? '–'}`);
  }
  if (last.coinc_comment !== preview.external_coinc)
    lines.push(`external coincidence: ${last.coinc_comment ? 'yes' : 'no'} → ${preview.external_coinc ? 'yes' : 'no'}`);
  return lines.length ? lines : ['nothing: the same as the last alert'];
}

/**
 * Builds the alert as the orchestrator would (alert-builder.ts), without sending anything. `eventId`: a preliminary
 * alert's event, whose files it would copy; `files`: an update's chosen files. Errors of GraceDB's data (no sky map, no
 * FAR) become `problem`; Redis or GraceDB being away is thrown.
 */
export async function previewAlert(
  gracedb: GraceDb,
  domain: DomainConfig,
  supereventId: string,
  kind: PreviewKind,
  options: { eventId?: string; files?: DataProductFiles } = {},
): Promise<AlertPreview> {
  const superevent = await gracedb.getSuperevent(supereventId);
  const voevents = await gracedb.getVoevents(supereventId);
  const last = voevents[voevents.length - 1];
  const alertType: AlertType = kind === 'PRELIMINARY' && superevent.labels.includes(EARLY_WARNING_LABEL) ? 'EARLYWARNING' : kind;
  let from = supereventId;
  let files: DataProductFiles = options.files ?? {};
  if (kind === 'PRELIMINARY') {
    from = options.eventId ?? superevent.preferred_event;
    files = latestDataProducts(await gracedb.getLogs(from));
  } else if (kind === 'INITIAL') {
    const logs = await gracedb.getLogs(supereventId);
    files = { ...latestDataProducts(logs, { requirePublic: true }), em_bright: latestDataProducts(logs).em_bright };
  }
  if (kind === 'UPDATE') {
    // A name alone is its latest version, as the task resolves it when it sends: the preview names that version.
    const list = await gracedb.listFiles(supereventId);
    files = Object.fromEntries(
      Object.entries(files).map(([kind, name]) => [kind, name && (exactFilename(list, name) ?? name)]),
    ) as DataProductFiles;
  }
  files = Object.fromEntries(Object.entries(files).filter(([, name]) => name)) as DataProductFiles;
  // A preliminary alert's files are still on its event.
  const reader = readingFilesFrom(gracedb, supereventId, from, files);
  const base = { superevent_id: supereventId, alert_type: alertType, files, from };
  const shown = { significant: null, far: null, classification: {}, properties: {}, external_coinc: false };
  const lastShown = last ? { alert_type: VOEVENT_TYPES[last.voevent_type], filename: last.filename, created: last.created } : null;
  let built;
  try {
    built = await buildAlert(reader, domain, superevent, files, alertType);
  } catch (error) {
    if ((error as { status?: unknown }).status === undefined && !/no sky map|has no FAR/.test((error as Error).message)) throw error;
    return { ...base, ...shown, last: lastShown, changes: [], problem: (error as Error).message };
  }
  const preview = {
    ...base,
    significant: built.event?.significant ?? null,
    far: built.event?.far ?? null,
    classification: built.event?.classification ?? {},
    properties: built.event?.properties ?? {},
    external_coinc: built.external_coinc !== null,
  };
  return { ...preview, last: lastShown, changes: changesSince(last, preview) };
}
