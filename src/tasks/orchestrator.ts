// The orchestrator's alert tasks: preliminary (or early-warning), initial, update and retraction alerts, and what a superevent's label sets off.
import { z } from 'zod';
import type { EventRecord, SupereventRecord } from '../gracedb/index.js';
import { defineTask } from '../queue/registry.js';
import { currentTask } from '../queue/current-task.js';
import { validateAlert, type AlertType } from '../alerts/schema.js';
import { buildAlert, sendAlert } from './alert-builder.js';
import { composeInitialCircular, composeRetractionCircular, composeUpdateCircular } from './circulars.js';
import { services, SUPEREVENT_LABEL_TASK, type Services } from './services.js';
import { exactFilename, latestDataProducts, readingFilesFrom, type DataProductFiles } from './superevent-files.js';
import { EARLY_WARNING_LABEL, FROZEN_LABEL, INJECTION_LABEL, shouldPublish } from './superevent-rules.js';
import { EVENT_ID, FILENAME, SUPEREVENT_ID as SUPEREVENT_ID_PATTERN } from '../gracedb/id-patterns.js';

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
  /** The alert's VOEvent on the superevent, `{id}-{N}-{Type}.xml`. */
  voevent_filename?: string;
  /** An earlier run of the task had sent the alert; this one sent nothing more. */
  repeated?: boolean;
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

/** Whether a RETRACTION went out for the superevent (its VOEvents say): no alert follows one. */
async function wasRetracted(deps: Services, supereventId: string): Promise<boolean> {
  return (await deps.gracedb.getVoevents(supereventId)).some((voevent) => voevent.voevent_type === 'RE');
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
  if (await wasRetracted(deps, supereventId)) return noAlert(deps, outcome, `${supereventId} was retracted`);

  const current = await gracedb.getSuperevent(supereventId);
  // GWCelery: the notice of a superevent labelled EARLY_WARNING (a significant early-warning event) is an early warning.
  const alertType: AlertType = current.labels.includes(EARLY_WARNING_LABEL) ? 'EARLYWARNING' : 'PRELIMINARY';
  const alert = await buildAlert(gracedb, config.domain, current, files, alertType);
  const sent = await sendAlert(deps, alert, { public: isPublic(deps, event), skymapFilename: files.skymap });
  await gracedb.createLabel(PRELIMINARY_SENT_LABEL, supereventId);
  const circular_filename = await uploadCircular(deps, supereventId, alertType, (await composeInitialCircular(gracedb, supereventId)).text);
  return { ...outcome, alert_type: alertType, sent: true, ...sent, circular_filename };
}

/** Uploads a circular draft as GWCelery names it (`{type}-circular.txt`); returns its `name,version`. */
async function uploadCircular(deps: Services, supereventId: string, alertType: AlertType, text: string): Promise<string> {
  const kind = alertType.toLowerCase();
  const log = await deps.gracedb.writeLog(supereventId, `Template for ${kind} GCN Circular`, {
    filename: `${kind}-circular.txt`,
    filecontents: text,
    tags: ['em_follow'],
  });
  return `${kind}-circular.txt,${log.file_version ?? 0}`;
}

/**
 * Why an advocate's verdict sends nothing for this superevent (undefined: it may send). What was sent is read from the
 * superevent's VOEvents, GraceDB's record of every alert: nothing goes out after a RETRACTION, one INITIAL at most,
 * and only for a superevent whose preliminary (or early-warning) alert went out.
 */
async function verdictRefusal(
  deps: Services,
  superevent: SupereventRecord,
  alertType: 'INITIAL' | 'RETRACTION',
): Promise<string | undefined> {
  const sid = superevent.superevent_id;
  // This task sent it before it was stopped (its worker died): the run made again finishes what that run began.
  const task = currentTask();
  if (task && (await deps.outbox.sentByTask(task.id, { alert_type: alertType, superevent_id: sid }))) return undefined;
  const sent = new Set((await deps.gracedb.getVoevents(sid)).map((voevent) => voevent.voevent_type));
  if (sent.has('RE')) return `${sid} was retracted already`;
  if (alertType === 'INITIAL' && sent.has('IN')) return `the INITIAL alert of ${sid} was sent already`;
  if (!sent.has('PR') && !sent.has('EW') && !superevent.labels.includes(PRELIMINARY_SENT_LABEL))
    return `${sid} never sent a preliminary alert, so there is nothing to ${alertType === 'INITIAL' ? 'confirm' : 'retract'}`;
  return undefined;
}

/**
 * The advocate's OK (ADVOK): the INITIAL alert with the superevent's latest public sky map, em_bright and p_astro, and
 * the initial circular's draft, as GWCelery's initial_alert. Once per superevent (verdictRefusal, and the outbox's
 * once-per-superevent mark for a run that stopped before its VOEvent).
 */
export async function initialAlert(deps: Services, supereventId: string): Promise<AlertOutcome> {
  const { gracedb, config } = deps;
  const superevent = await gracedb.getSuperevent(supereventId);
  const event = superevent.preferred_event_data ?? (await gracedb.getEvent(superevent.preferred_event));
  const logs = await gracedb.getLogs(supereventId);
  // em_bright is public on a superevent once copied for an alert; GWCelery does not insist on the tag for it.
  const files: DataProductFiles = { ...latestDataProducts(logs, { requirePublic: true }), em_bright: latestDataProducts(logs).em_bright };
  if (!files.em_bright) delete files.em_bright;
  const outcome: AlertOutcome = {
    superevent_id: supereventId,
    alert_type: 'INITIAL',
    sent: false,
    preferred_event: superevent.preferred_event,
    files,
  };
  const blocked = globalBlock(deps, superevent, event) ?? (await verdictRefusal(deps, superevent, 'INITIAL'));
  if (blocked) return noAlert(deps, outcome, blocked);
  if (!files.skymap) return noAlert(deps, outcome, `${supereventId} has no public sky map`);
  const alert = await buildAlert(gracedb, config.domain, superevent, files, 'INITIAL');
  const sent = await sendAlert(deps, alert, { public: isPublic(deps, event), skymapFilename: files.skymap, oncePerSuperevent: true });
  if (sent.repeated && !sent.voevent_filename) return noAlert(deps, outcome, `the INITIAL alert of ${supereventId} was sent already`);
  const circular_filename = await uploadCircular(deps, supereventId, 'INITIAL', (await composeInitialCircular(gracedb, supereventId)).text);
  return { ...outcome, sent: true, ...sent, circular_filename };
}

/**
 * The advocate's NO (ADVNO): the RETRACTION (no event, no external coincidence: the schema's retraction) and the
 * retraction circular's draft, as GWCelery's retraction_alert; after an INITIAL too, never twice.
 */
export async function retractionAlert(deps: Services, supereventId: string): Promise<AlertOutcome> {
  const { gracedb, config } = deps;
  const superevent = await gracedb.getSuperevent(supereventId);
  const event = superevent.preferred_event_data ?? (await gracedb.getEvent(superevent.preferred_event));
  const outcome: AlertOutcome = {
    superevent_id: supereventId,
    alert_type: 'RETRACTION',
    sent: false,
    preferred_event: superevent.preferred_event,
    files: {},
  };
  const refused = await verdictRefusal(deps, superevent, 'RETRACTION');
  if (refused) return noAlert(deps, outcome, refused);
  const alert = await buildAlert(gracedb, config.domain, superevent, {}, 'RETRACTION');
  const sent = await sendAlert(deps, alert, { public: isPublic(deps, event), oncePerSuperevent: true });
  if (sent.repeated && !sent.voevent_filename) return noAlert(deps, outcome, `${supereventId} was retracted already`);
  const circular_filename = await uploadCircular(
    deps,
    supereventId,
    'RETRACTION',
    (await composeRetractionCircular(gracedb, supereventId)).text,
  );
  return { ...outcome, sent: true, ...sent, circular_filename };
}

export interface LabelOutcome {
  superevent_id: string;
  label: string;
  /** The alert the label sent (or why it sent none); absent when the label asks for no alert. */
  alert?: AlertOutcome;
  reason?: string;
}

/**
 * GWCelery's handle_superevent for a label_added message: the freeze (EM_Selected) of an early-warning superevent
 * sends its EARLYWARNING alert, ADVOK the INITIAL, ADVNO the RETRACTION.
 */
export async function handleSupereventLabel(deps: Services, supereventId: string, label: string): Promise<LabelOutcome> {
  const result = { superevent_id: supereventId, label };
  if (label === 'ADVOK') return { ...result, alert: await initialAlert(deps, supereventId) };
  if (label === 'ADVNO') return { ...result, alert: await retractionAlert(deps, supereventId) };
  if (label === FROZEN_LABEL) {
    const superevent = await deps.gracedb.getSuperevent(supereventId);
    if (superevent.labels.includes(EARLY_WARNING_LABEL))
      return { ...result, alert: await preliminaryAlert(deps, supereventId, superevent.preferred_event) };
    return { ...result, reason: 'not an early-warning superevent: its preliminary alert is sent from the operator form' };
  }
  return { ...result, reason: `the orchestrator does nothing on ${label}` };
}

/**
 * Sends an UPDATE alert with the given superevent files and uploads an update circular draft. Each file is `name,version`
 * or `name` alone: its latest version on the superevent now, so that the alert, its VOEvent and the circular name the
 * exact version they carry. A name the superevent has no file of sends nothing.
 */
export async function updateAlert(deps: Services, filenames: [string, string, string], supereventId: string): Promise<AlertOutcome> {
  const { gracedb, config } = deps;
  const superevent = await gracedb.getSuperevent(supereventId);
  const event = superevent.preferred_event_data ?? (await gracedb.getEvent(superevent.preferred_event));
  const listed = await gracedb.listFiles(supereventId);
  const exact = filenames.map((filename) => exactFilename(listed, filename));
  const [skymap, emBright, pAstro] = exact.map((filename, index) => filename ?? filenames[index]);
  const files: DataProductFiles = { skymap, em_bright: emBright, p_astro: pAstro };
  const outcome: AlertOutcome = {
    superevent_id: supereventId,
    alert_type: 'UPDATE',
    sent: false,
    preferred_event: superevent.preferred_event,
    files,
  };
  const missing = filenames.filter((_, index) => exact[index] === undefined);
  if (missing.length) return noAlert(deps, outcome, `${supereventId} has no file ${missing.join(', no file ')}`);
  const blocked = globalBlock(deps, superevent, event);
  if (blocked) return noAlert(deps, outcome, blocked);
  if (await wasRetracted(deps, supereventId)) return noAlert(deps, outcome, `${supereventId} was retracted`);

  const alert = await buildAlert(gracedb, config.domain, superevent, files, 'UPDATE');
  const sent = await sendAlert(deps, alert, { public: isPublic(deps, event), skymapFilename: skymap });
  const circular = await composeUpdateCircular(gracedb, supereventId, ['sky_localization', 'em_bright', 'p_astro'], files);
  const log = await gracedb.writeLog(supereventId, 'Template for update GCN Circular', {
    filename: 'update-circular.txt',
    filecontents: circular.text,
    tags: ['em_follow'],
  });
  return { ...outcome, sent: true, ...sent, circular_filename: `update-circular.txt,${log.file_version ?? 0}` };
}

const SUPEREVENT_ID = z.string().regex(SUPEREVENT_ID_PATTERN, 'must be a superevent ID such as S240101a');
const FILE = z.string().regex(FILENAME, 'must be name or name,version such as bayestar.multiorder.fits or bayestar.multiorder.fits,0');

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

export const handleLabelTask = defineTask({
  name: SUPEREVENT_LABEL_TASK,
  queue: 'kafka',
  description:
    "A superevent's label, as GWCelery's orchestrator takes it: EM_Selected on an EARLY_WARNING superevent sends the EARLYWARNING alert, ADVOK the INITIAL, ADVNO the RETRACTION.",
  params: { superevent_id: SUPEREVENT_ID, label: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a label name such as ADVOK') },
  async run({ superevent_id, label }) {
    return handleSupereventLabel(services(), superevent_id, label);
  },
});

export const updateAlertTask = defineTask({
  name: 'gwqueue.tasks.orchestrator.update_alert',
  queue: 'kafka',
  description:
    'Sends an UPDATE alert with the given sky map, em_bright and p_astro files of the superevent (name,version, or name for its latest version).',
  params: {
    filenames: z.tuple([FILE, FILE, FILE]),
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
  const reader = readingFilesFrom(gracedb, supereventId, filesOf, files);
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
