// Builds an IGWN alert (schema v1.0) from a superevent and its files, and sends it: outbox, failure count, log copy, VOEvent.
import type { DomainConfig } from '../config/domain.js';
import { gpsToDate, type GraceDb, type SupereventRecord, type VoeventInput, type VoeventType } from '../gracedb/index.js';
import { getAlert, recordAlertFailure } from '../alerts/outbox.js';
import { noteSinkDelivery } from '../alerts/sink-health.js';
import { currentTask } from '../queue/current-task.js';
import { validateAlert, type AlertType, type IgwnAlert } from '../alerts/schema.js';
import { externalCoinc } from './raven.js';
import type { Services } from './services.js';
import type { DataProductFiles } from './superevent-files.js';
import { readProbabilities, supereventPage } from './superevent-files.js';
import { eventInstruments, numberAttribute, passesFarThreshold } from './superevent-rules.js';

const PROPERTY_KEYS = ['HasNS', 'HasRemnant', 'HasMassGap'];
const CLASSIFICATION_KEYS = ['BNS', 'NSBH', 'BBH', 'Terrestrial'];
const DETECTORS = new Set(['H1', 'L1', 'V1', 'K1', 'I1']);

function only(table: Record<string, number>, keys: string[]): Record<string, number> {
  return Object.fromEntries(Object.entries(table).filter(([key, value]) => keys.includes(key) && value >= 0 && value <= 1));
}

/** ISO 8601 UTC to the second, as GWCelery stamps time_created. */
function nowToTheSecond(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The alert for a superevent with the given files (`name,version` on the superevent), following the official schema
 * (schemas/). The sky map is required; em_bright and p_astro are read for CBC events only, as Burst alerts carry empty
 * properties and classification but the burst's duration and central frequency (null for CBC: the Avro schema
 * requires both fields). A RETRACTION carries no event and no external coincidence, as GWCelery sends it.
 */
export async function buildAlert(
  gracedb: GraceDb,
  config: DomainConfig,
  superevent: SupereventRecord,
  files: DataProductFiles,
  alertType: AlertType,
): Promise<IgwnAlert> {
  const sid = superevent.superevent_id;
  const urls = { gracedb: supereventPage(superevent) };
  if (alertType === 'RETRACTION')
    return { superevent_id: sid, alert_type: alertType, time_created: nowToTheSecond(), event: null, external_coinc: null, urls };
  const preferred = superevent.preferred_event_data ?? (await gracedb.getEvent(superevent.preferred_event));
  if (!files.skymap)
    throw new Error(`no sky map to send for ${sid}: its preferred event ${preferred.graceid} has no .multiorder.fits tagged sky_loc`);
  const cbc = preferred.group.toLowerCase() === 'cbc';
  const [skymap, properties, classification, coinc] = await Promise.all([
    gracedb.download(files.skymap, sid),
    cbc && files.em_bright ? readProbabilities(gracedb, sid, files.em_bright) : Promise.resolve({}),
    cbc && files.p_astro ? readProbabilities(gracedb, sid, files.p_astro) : Promise.resolve({}),
    externalCoinc(gracedb, superevent),
  ]);
  const far = superevent.far ?? preferred.far;
  if (far === null) throw new Error(`${sid} has no FAR`);
  return {
    superevent_id: sid,
    alert_type: alertType,
    time_created: nowToTheSecond(),
    event: {
      time: gpsToDate(superevent.t_0).toISOString(),
      far,
      significant: passesFarThreshold(preferred, config),
      instruments: eventInstruments(preferred).filter((ifo) => DETECTORS.has(ifo)),
      group: preferred.group,
      pipeline: preferred.pipeline,
      search: preferred.search ?? 'AllSky',
      properties: only(properties, PROPERTY_KEYS),
      classification: only(classification, CLASSIFICATION_KEYS),
      duration: cbc ? null : (numberAttribute(preferred, 'MultiBurst', 'duration') ?? null),
      central_frequency: cbc ? null : (numberAttribute(preferred, 'MultiBurst', 'central_freq') ?? null),
      skymap: skymap.toString('base64'),
    },
    external_coinc: coinc,
    urls,
  };
}

export interface SentAlertSummary {
  outbox_id: string;
  /** The copy uploaded to the superevent's log, `name,version` ('' when `repeated` and its copy was made then). */
  alert_filename: string;
  /** The VOEvent recorded on the superevent for this alert, `{id}-{N}-{Type}.xml` ('' as alert_filename). */
  voevent_filename: string;
  /** An earlier run had sent this alert; it was not sent again. */
  repeated?: boolean;
}

/** GraceDB's VOEvent type code of each alert type. */
const VOEVENT_TYPE: Record<AlertType, VoeventType> = {
  EARLYWARNING: 'EW',
  PRELIMINARY: 'PR',
  INITIAL: 'IN',
  UPDATE: 'UP',
  RETRACTION: 'RE',
};

export interface SendOptions {
  public: boolean;
  /** The superevent's sky map the alert carries (`name,version`), named by its VOEvent. */
  skymapFilename?: string;
  /**
   * Sent at most once per superevent, whichever task sends it (INITIAL, RETRACTION); otherwise once per run of the
   * task that sends it.
   */
  oncePerSuperevent?: boolean;
}

/** The VOEvent GraceDB records for an alert, with GWCelery's fields: open, not internal, its sky map and probabilities. */
function voeventFor(alert: IgwnAlert, skymapFilename: string | undefined): VoeventInput {
  const { event } = alert;
  const probability = (table: Record<string, number> | undefined, key: string) => table?.[key] ?? null;
  return {
    voevent_type: VOEVENT_TYPE[alert.alert_type],
    internal: false,
    open_alert: true,
    hardware_inj: false,
    skymap_filename: event && skymapFilename ? skymapFilename : null,
    // GWCelery's skymap_type: the file name without `.multiorder.fits` and its version (`bayestar`).
    skymap_type: event && skymapFilename ? skymapFilename.replace(/(\.multiorder)?\.fits(\..+)?(,\d+)?$/, '') : null,
    coinc_comment: alert.external_coinc !== null,
    prob_has_ns: probability(event?.properties, 'HasNS'),
    prob_has_remnant: probability(event?.properties, 'HasRemnant'),
    prob_mass_gap: probability(event?.properties, 'HasMassGap'),
    prob_bns: probability(event?.classification, 'BNS'),
    prob_nsbh: probability(event?.classification, 'NSBH'),
    prob_bbh: probability(event?.classification, 'BBH'),
    prob_terrestrial: probability(event?.classification, 'Terrestrial'),
    significant: event?.significant ?? false,
  };
}

/**
 * Validates the alert against the schema, exposes the superevent of a public alert, puts the alert in the outbox (a
 * failure is counted for monitoring, then thrown), uploads a copy to the superevent as `{superevent}-{type}.json` and
 * records its VOEvent there, as GWCelery does with each notice sent. A run of a task made again finds its alert in the outbox: it sends nothing, and makes the copy and
 * the VOEvent from the alert that was sent (GraceDB writes are made once per task: gracedb-once.ts), so a run that
 * stopped between the outbox and GraceDB still leaves both.
 */
export async function sendAlert(deps: Services, alert: IgwnAlert, options: SendOptions): Promise<SentAlertSummary> {
  let valid = validateAlert(alert);
  let outboxId: string;
  let repeated = false;
  let byAnother = false;
  // A task picked up again (its worker died, or its lock expired while Redis was away) must not send twice.
  const taskId = currentTask()?.id;
  const onceKey = options.oncePerSuperevent ? 'superevent' : taskId;
  // As GWCelery: a public alert's superevent is exposed before the alert leaves (exposing it again changes nothing).
  if (options.public) await deps.gracedb.expose(valid.superevent_id);
  try {
    const sent = await deps.outbox.send(valid, { public: options.public, onceKey, taskId });
    noteSinkDelivery(deps.outbox.name); // the worker's heartbeat reports the sink's health
    outboxId = sent.id;
    repeated = sent.repeated === true;
    byAnother = sent.byAnother === true;
  } catch (error) {
    noteSinkDelivery(deps.outbox.name, error);
    await recordAlertFailure(deps.redis, deps.config).catch(() => {});
    throw error;
  }
  const sid = valid.superevent_id;
  if (repeated) {
    const earlier = await getAlert(deps.redis, deps.config, outboxId);
    if (earlier) valid = earlier.payload;
    // Another task sent it (once per superevent); when its VOEvent is there, that task made the copy too.
    if (byAnother && (await deps.gracedb.getVoevents(sid)).some((v) => v.voevent_type === VOEVENT_TYPE[valid.alert_type]))
      return { outbox_id: outboxId, alert_filename: '', voevent_filename: '', repeated: true };
  }
  const filename = `${sid}-${valid.alert_type.toLowerCase()}.json`;
  const log = await deps.gracedb.writeLog(sid, `IGWN alert ${valid.alert_type} sent to the alert outbox (entry ${outboxId})`, {
    filename,
    filecontents: JSON.stringify(valid, null, 2),
    tags: ['public', 'em_follow'],
  });
  const voevent = await deps.gracedb.createVoevent(sid, voeventFor(valid, options.skymapFilename));
  return {
    outbox_id: outboxId,
    alert_filename: `${filename},${log.file_version ?? 0}`,
    voevent_filename: voevent.filename,
    ...(repeated ? { repeated: true } : {}),
  };
}
