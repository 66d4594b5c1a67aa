// The orchestrator's alert tasks: preliminary_alert (copy the preferred event's files, send) and update_alert.
import { z } from 'zod';
import type { EventRecord, GraceDb, SupereventRecord } from '../gracedb/index.js';
import { defineTask } from '../queue/registry.js';
import { validateAlert, type AlertType } from '../alerts/schema.js';
import { buildAlert, sendAlert } from './alert-builder.js';
import { composeInitialCircular, composeUpdateCircular } from './circulars.js';
import { services, type Services } from './services.js';
import { latestDataProducts, type DataProductFiles } from './superevent-files.js';
import { INJECTION_LABEL, shouldPublish } from './superevent-rules.js';
import { EVENT_ID, SUPEREVENT_ID as SUPEREVENT_ID_PATTERN, VERSIONED_FILENAME } from '../gracedb/id-patterns.js';

/** Labels whose presence means an advocate already decided: GWCelery then sends no automatic PRELIMINARY notice. */
export const ADVOCATE_DECISION_LABELS = ['ADVOK', 'ADVNO'];
export const PRELIMINARY_SENT_LABEL = 'GCN_PRELIM_SENT';

export interface AlertOutcome {
  superevent_id: string;
  alert_type: AlertType;
  sent: boolean;
  /** Why no alert was sent. */
  reason?: string;
  preferred_event: string;
  /** The files the alert carries, `name,version` on the superevent. */
  files: DataProductFiles;
  outbox_id?: string;
  alert_filename?: string;
  circular_filename?: string;
}

const COPIES: { kind: keyof DataProductFiles; tag: string; label: string; message: string }[] = [
  { kind: 'skymap', tag: 'sky_loc', label: 'SKYMAP_READY', message: 'Localization copied from' },
  { kind: 'em_bright', tag: 'em_bright', label: 'EMBRIGHT_READY', message: 'Source properties copied from' },
  { kind: 'p_astro', tag: 'p_astro', label: 'PASTRO_READY', message: 'Source classification copied from' },
];

/** Copies the event's latest sky map, em_bright and p_astro to the superevent, tagged public, with the READY labels. */
export async function copyDataProducts(deps: Services, supereventId: string, eventId: string): Promise<DataProductFiles> {
  const { gracedb } = deps;
  const source = latestDataProducts(await gracedb.getLogs(eventId));
  const copied: DataProductFiles = {};
  for (const copy of COPIES) {
    const versioned = source[copy.kind];
    if (!versioned) continue;
    const bytes = await gracedb.download(versioned, eventId);
    const filename = versioned.replace(/,\d+$/, '');
    const log = await gracedb.writeLog(supereventId, `${copy.message} ${eventId}`, {
      filename,
      filecontents: bytes,
      tags: [copy.tag, 'public'],
    });
    await gracedb.createLabel(copy.label, supereventId);
    copied[copy.kind] = `${filename},${log.file_version ?? 0}`;
  }
  return copied;
}

async function noAlert(deps: Services, outcome: AlertOutcome, reason: string): Promise<AlertOutcome> {
  await deps.gracedb.writeLog(outcome.superevent_id, `No ${outcome.alert_type} alert sent: ${reason}.`, { tags: ['em_follow'] });
  return { ...outcome, sent: false, reason };
}

/** GWCelery's switches that stop every alert: injections, and only_alert_for_mdc for non-MDC events. */
function globalBlock(deps: Services, superevent: SupereventRecord, event: EventRecord): string | undefined {
  if (superevent.labels.includes(INJECTION_LABEL) || event.labels.includes(INJECTION_LABEL)) return 'the superevent is an injection (INJ)';
  if (deps.config.domain.onlyAlertForMdc && event.search !== 'MDC') return 'gwqueue is configured to only send alerts for MDC events';
  return undefined;
}

function isPublic(deps: Services, event: EventRecord): boolean {
  return deps.config.domain.exposeToPublic && shouldPublish(event, deps.config.domain);
}

/**
 * Copies the event's files to the superevent, then (unless blocked) sends the PRELIMINARY alert, labels the
 * superevent GCN_PRELIM_SENT and uploads the circular draft. With `initiateAlert` false only the files are copied.
 */
export async function preliminaryAlert(deps: Services, supereventId: string, eventId: string, initiateAlert = true): Promise<AlertOutcome> {
  const { gracedb, config } = deps;
  const [superevent, event] = await Promise.all([gracedb.getSuperevent(supereventId), gracedb.getEvent(eventId)]);
  const files = await copyDataProducts(deps, supereventId, eventId);
  const outcome: AlertOutcome = {
    superevent_id: supereventId,
    alert_type: 'PRELIMINARY',
    sent: false,
    preferred_event: superevent.preferred_event,
    files,
  };
  if (!initiateAlert) return { ...outcome, reason: 'no alert was asked for' };
  const blocked = globalBlock(deps, superevent, event);
  if (blocked) return noAlert(deps, outcome, blocked);
  if (event.labels.includes('DQV')) return noAlert(deps, outcome, `${eventId} failed data quality checks (DQV)`);
  if (!shouldPublish(event, config.domain))
    return noAlert(deps, outcome, `${eventId} is not publishable (offline, or FAR × trials factor above the threshold)`);
  const decision = ADVOCATE_DECISION_LABELS.filter((label) => superevent.labels.includes(label));
  if (decision.length) return noAlert(deps, outcome, `the superevent already has ${decision.join(', ')}`);

  const current = await gracedb.getSuperevent(supereventId);
  const alert = await buildAlert(gracedb, config.domain, current, files, 'PRELIMINARY');
  const sent = await sendAlert(deps, alert, { public: isPublic(deps, event) });
  await gracedb.createLabel(PRELIMINARY_SENT_LABEL, supereventId);
  const circular = await composeInitialCircular(gracedb, supereventId);
  const log = await gracedb.writeLog(supereventId, 'Template for preliminary GCN Circular', {
    filename: 'preliminary-circular.txt',
    filecontents: circular.text,
    tags: ['em_follow'],
  });
  return { ...outcome, sent: true, ...sent, circular_filename: `preliminary-circular.txt,${log.file_version ?? 0}` };
}

/** Sends an UPDATE alert with the given superevent files (`name,version`) and uploads an update circular draft. */
export async function updateAlert(deps: Services, filenames: [string, string, string], supereventId: string): Promise<AlertOutcome> {
  const { gracedb, config } = deps;
  const superevent = await gracedb.getSuperevent(supereventId);
  const event = superevent.preferred_event_data ?? (await gracedb.getEvent(superevent.preferred_event));
  const [skymap, emBright, pAstro] = filenames;
  const files: DataProductFiles = { skymap, em_bright: emBright, p_astro: pAstro };
  const outcome: AlertOutcome = {
    superevent_id: supereventId,
    alert_type: 'UPDATE',
    sent: false,
    preferred_event: superevent.preferred_event,
    files,
  };
  const blocked = globalBlock(deps, superevent, event);
  if (blocked) return noAlert(deps, outcome, blocked);

  const alert = await buildAlert(gracedb, config.domain, superevent, files, 'UPDATE');
  const sent = await sendAlert(deps, alert, { public: isPublic(deps, event) });
  const circular = await composeUpdateCircular(gracedb, supereventId, ['sky_localization', 'em_bright', 'p_astro'], files);
  const log = await gracedb.writeLog(supereventId, 'Template for update GCN Circular', {
    filename: 'update-circular.txt',
    filecontents: circular.text,
    tags: ['em_follow'],
  });
  return { ...outcome, sent: true, ...sent, circular_filename: `update-circular.txt,${log.file_version ?? 0}` };
}

const SUPEREVENT_ID = z.string().regex(SUPEREVENT_ID_PATTERN, 'must be a superevent ID such as S240101a');
const VERSIONED_FILE = z.string().regex(VERSIONED_FILENAME, 'must be name,version such as bayestar.multiorder.fits,0');

export const preliminaryAlertTask = defineTask({
  name: 'gwqueue.tasks.orchestrator.preliminary_alert',
  // Our orchestrator sends the alert itself: it runs where the alert sink is, GWCelery's alert-sending queue.
  queue: 'kafka',
  description: "Copies the event's sky map, em_bright and p_astro to the superevent and sends the PRELIMINARY alert (unless blocked).",
  params: {
    superevent_id: SUPEREVENT_ID,
    event_id: z.string().regex(EVENT_ID, 'must be an event ID such as G1234'),
    initiate_alert: z.boolean().default(true),
  },
  async run({ superevent_id, event_id, initiate_alert }) {
    return preliminaryAlert(services(), superevent_id, event_id, initiate_alert);
  },
});

export const updateAlertTask = defineTask({
  name: 'gwqueue.tasks.orchestrator.update_alert',
  queue: 'kafka',
  description: 'Sends an UPDATE alert with the given sky map, em_bright and p_astro files of the superevent (name,version).',
  params: {
    filenames: z.tuple([VERSIONED_FILE, VERSIONED_FILE, VERSIONED_FILE]),
    superevent_id: SUPEREVENT_ID,
  },
  async run({ filenames, superevent_id }) {
    return updateAlert(services(), filenames, superevent_id);
  },
});

/**
 * The PRELIMINARY alert the superevent would have now (its preferred event, latest public files, RAVEN section), built
 * and checked against the schema but not sent: what a pipeline-preferred event change asks for. Before any alert the
 * superevent has no public files yet: then the preferred event's own files are read, as GWCelery's dashboard does.
 */
export async function alertContents(deps: Services, supereventId: string): Promise<AlertOutcome & { alert: unknown; files_of: string }> {
  const { gracedb, config } = deps;
  const superevent = await gracedb.getSuperevent(supereventId);
  let files = latestDataProducts(await gracedb.getLogs(supereventId), { requirePublic: true });
  let filesOf = supereventId;
  if (!files.skymap) {
    files = latestDataProducts(await gracedb.getLogs(superevent.preferred_event));
    filesOf = superevent.preferred_event;
  }
  // The alert builder reads the files from the superevent; this view reads those three where they are.
  const chosen = new Set(Object.values(files));
  const reader: GraceDb = Object.assign(Object.create(gracedb) as GraceDb, {
    download: (filename: string, objectId: string) =>
      gracedb.download(filename, objectId === supereventId && chosen.has(filename) ? filesOf : objectId),
  });
  const alert = validateAlert(await buildAlert(reader, config.domain, superevent, files, 'PRELIMINARY'));
  // The sky map is a file of the superevent already: the result says how big it is instead of carrying it again.
  const shown = alert.event
    ? { ...alert, event: { ...alert.event, skymap: `${alert.event.skymap?.length ?? 0} base64 characters` } }
    : alert;
  return {
    superevent_id: supereventId,
    alert_type: 'PRELIMINARY',
    sent: false,
    reason: 'alert contents rebuilt; no alert was asked for',
    preferred_event: superevent.preferred_event,
    files,
    files_of: filesOf,
    alert: shown,
  };
}

export const alertContentsTask = defineTask({
  name: 'gwqueue.tasks.orchestrator.alert_contents',
  description: 'Builds the PRELIMINARY alert a superevent would have now (schema-checked) and returns it without sending it.',
  params: { superevent_id: SUPEREVENT_ID },
  async run({ superevent_id }) {
    return alertContents(services(), superevent_id);
  },
});
