// Builds an IGWN alert (schema v1.0) from a superevent and its files, and sends it: outbox, failure count, log copy.
import type { DomainConfig } from '../config/domain.js';
import { gpsToDate, type GraceDb, type SupereventRecord } from '../gracedb/index.js';
import { recordAlertFailure } from '../alerts/outbox.js';
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
  /** The copy uploaded to the superevent's log, `name,version` ('' when `repeated`). */
  alert_filename: string;
  /** An earlier run of the same task had sent this alert; it was not sent again. */
  repeated?: boolean;
}

/**
 * Validates the alert against the schema, puts it in the outbox (a failure is counted for monitoring, then thrown),
 * and uploads a copy to the superevent as `{superevent}-{type}.json`, as GWCelery does with each notice sent.
 */
export async function sendAlert(deps: Services, alert: IgwnAlert, options: { public: boolean }): Promise<SentAlertSummary> {
  const valid = validateAlert(alert);
  let outboxId: string;
  // A task picked up again (its worker died, or its lock expired while Redis was away) must not send twice.
  const onceKey = currentTask()?.id;
  try {
    const sent = await deps.outbox.send(valid, { ...options, onceKey });
    noteSinkDelivery(deps.outbox.name); // the worker's heartbeat reports the sink's health
    outboxId = sent.id;
    // Already sent by an earlier run of this task: no second alert, and no second copy in the superevent's log.
    if (sent.repeated) return { outbox_id: outboxId, alert_filename: '', repeated: true };
  } catch (error) {
    noteSinkDelivery(deps.outbox.name, error);
    await recordAlertFailure(deps.redis, deps.config).catch(() => {});
    throw error;
  }
  const filename = `${valid.superevent_id}-${valid.alert_type.toLowerCase()}.json`;
  const log = await deps.gracedb.writeLog(
    valid.superevent_id,
    `IGWN alert ${valid.alert_type} sent to the alert outbox (entry ${outboxId})`,
    {
      filename,
      filecontents: JSON.stringify(valid, null, 2),
      tags: ['public', 'em_follow'],
    },
  );
  return { outbox_id: outboxId, alert_filename: `${filename},${log.file_version ?? 0}` };
}
