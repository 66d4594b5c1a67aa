// RAVEN (GW–external coincidences): the RAVEN_ALERT labels, and the external_coinc section of an alert.
import { z } from 'zod';
import type { ExternalCoinc } from '../alerts/schema.js';
import { GraceDbNotFoundError, type EventRecord, type GraceDb, type SupereventRecord, type SupereventUpdate } from '../gracedb/index.js';
import { defineTask } from '../queue/registry.js';
import { externalIdentity } from './external-triggers.js';
import { GRB_CBC_WINDOW } from './first2years-external.js';
import { services, type Services } from './services.js';
import { notifyLabelAdded } from './superevents.js';
import { RAVEN_ALERT_LABEL } from './superevent-rules.js';
import { EVENT_ID, EXTERNAL_EVENT_ID, SUPEREVENT_ID } from '../gracedb/id-patterns.js';

/** Fermi GBM's rate of GRBs, per second (ligo-raven's 310 a year). */
export const GRB_RATE_HZ = 310 / (365 * 86_400);

/**
 * The temporal coincidence FAR as ligo-raven computes it: the GW FAR times the rate of external triggers times the
 * width of the search window.
 */
export function timeCoincidenceFar(gwFar: number, window: readonly [number, number] = GRB_CBC_WINDOW, externalRate = GRB_RATE_HZ): number {
  return gwFar * externalRate * (window[1] - window[0]);
}

/** The external event of a RAVEN coincidence: an em_event labelled RAVEN_ALERT, else the superevent's only/first one. */
export async function coincidentExternalEvent(gracedb: GraceDb, superevent: SupereventRecord): Promise<EventRecord | undefined> {
  const ids = superevent.em_type ? [superevent.em_type, ...superevent.em_events] : superevent.em_events;
  if (ids.length === 0) return undefined;
  const events = await Promise.all([...new Set(ids)].map((id) => gracedb.getEvent(id)));
  return events.find((event) => event.labels.includes(RAVEN_ALERT_LABEL)) ?? events[0];
}

/** The latest combined (GW × external) multi-order sky map on the superevent, as RAVEN uploads it, or undefined. */
export async function combinedSkymapFile(gracedb: GraceDb, supereventId: string): Promise<string | undefined> {
  let found: string | undefined;
  for (const entry of await gracedb.getLogs(supereventId)) {
    if (!entry.filename || entry.file_version === null) continue;
    const tagged = entry.tag_names.includes('sky_loc') || entry.tag_names.includes('ext_coinc');
    if (tagged && entry.filename.includes('combined') && entry.filename.endsWith('.multiorder.fits'))
      found = `${entry.filename},${entry.file_version}`;
  }
  return found;
}

/**
 * The alert's external_coinc, or null when the superevent has no RAVEN_ALERT or no external event to describe. The
 * official schema requires combined_skymap: the combined map when RAVEN made one, else null.
 */
export async function externalCoinc(gracedb: GraceDb, superevent: SupereventRecord): Promise<ExternalCoinc | null> {
  if (!superevent.labels.includes(RAVEN_ALERT_LABEL)) return null;
  const external = await coincidentExternalEvent(gracedb, superevent);
  if (!external) return null;
  const { ivorn, trigId } = await externalIdentity(gracedb, external);
  const timeFar = superevent.time_coinc_far ?? (superevent.far !== null ? timeCoincidenceFar(superevent.far) : null);
  if (timeFar === null) return null;
  const combined = await combinedSkymapFile(gracedb, superevent.superevent_id);
  return {
    gcn_notice_id: trigId ?? Math.floor(external.gpstime ?? 0),
    ivorn: ivorn || `ivo://gwqueue.invalid/${external.pipeline}#${external.graceid}`,
    observatory: external.pipeline,
    search: external.search ?? 'GRB',
    time_difference: Number((superevent.t_0 - (external.gpstime ?? superevent.t_0)).toFixed(2)),
    time_coincidence_far: timeFar,
    // Needs the overlap of the two sky maps, which RAVEN computes and gwqueue does not (yet).
    time_sky_position_coincidence_far: superevent.space_coinc_far ?? null,
    combined_skymap: combined ? (await gracedb.download(combined, superevent.superevent_id)).toString('base64') : null,
  };
}

/** The searches RAVEN computes coincidence FARs for (GWCelery takes them from the external event's coincidence_far.json). */
export const COINC_FAR_SEARCHES = ['GRB', 'SubGRB', 'SubGRBTargeted'];

export interface PreferredExternalUpdate {
  superevent_id: string;
  em_type: string;
  time_coinc_far: number | null;
  space_coinc_far: number | null;
  /** Where the FARs came from: RAVEN's file, ligo-raven's temporal formula when there is no file, or none (not a GRB search). */
  far_source: 'coincidence_far.json' | 'computed' | null;
}

/**
 * Makes the external event the superevent's em_type, with the time and sky coincidence FARs of a GRB-type search from
 * the event's coincidence_far.json (as GWCelery's dashboard does before the RAVEN labels). Other searches set em_type
 * only. Without the file (the embedded pipeline writes none), the temporal FAR is computed as ligo-raven does.
 */
export async function updatePreferredExternalEvent(deps: Services, supereventId: string, extId: string): Promise<PreferredExternalUpdate> {
  const { gracedb } = deps;
  const external = await gracedb.getEvent(extId);
  const update: SupereventUpdate = { em_type: extId };
  let source: PreferredExternalUpdate['far_source'] = null;
  if (COINC_FAR_SEARCHES.includes(external.search ?? '')) {
    let fars: { temporal_coinc_far?: unknown; spatiotemporal_coinc_far?: unknown } | undefined;
    try {
      fars = JSON.parse((await gracedb.download('coincidence_far.json', extId)).toString('utf8'));
    } catch (error) {
      if (!(error instanceof GraceDbNotFoundError)) throw error;
    }
    if (fars) {
      if (typeof fars.temporal_coinc_far === 'number') update.time_coinc_far = fars.temporal_coinc_far;
      if (typeof fars.spatiotemporal_coinc_far === 'number') update.space_coinc_far = fars.spatiotemporal_coinc_far;
      source = 'coincidence_far.json';
    } else {
      const superevent = await gracedb.getSuperevent(supereventId);
      if (superevent.far !== null) {
        update.time_coinc_far = timeCoincidenceFar(superevent.far);
        source = 'computed';
        await gracedb.writeLog(
          supereventId,
          `${extId} has no coincidence_far.json: temporal coincidence FAR computed from the GW FAR and the ${external.pipeline} trigger rate`,
          { tags: ['ext_coinc'] },
        );
      }
    }
  }
  const updated = await gracedb.updateSuperevent(supereventId, update);
  return {
    superevent_id: supereventId,
    em_type: extId,
    time_coinc_far: updated.time_coinc_far,
    space_coinc_far: updated.space_coinc_far,
    far_source: source,
  };
}

export const updatePreferredExternalEventTask = defineTask({
  name: 'gwqueue.tasks.raven.update_preferred_external_event',
  // GWCelery's update_coinc_far: one superevent's coincidence FARs, written one at a time with the other RAVEN steps.
  queue: 'exttrig',
  description: "Sets the superevent's em_type to the external event and, for GRB / SubGRB / SubGRBTargeted searches, its coincidence FARs.",
  params: {
    superevent_id: z.string().regex(SUPEREVENT_ID, 'must be a superevent ID such as S240101a'),
    ext_id: z.string().regex(EXTERNAL_EVENT_ID, 'must be an external event ID such as E1234'),
  },
  async run({ superevent_id, ext_id }) {
    return updatePreferredExternalEvent(services(), superevent_id, ext_id);
  },
});

export const applyRavenLabels = defineTask({
  name: 'gwqueue.tasks.raven.apply_raven_labels',
  queue: 'exttrig',
  description: 'Applies RAVEN_ALERT to the superevent, the external event and the GW event, in that order.',
  params: {
    superevent_id: z.string().regex(SUPEREVENT_ID, 'must be a superevent ID such as S240101a'),
    ext_id: z.string().regex(EXTERNAL_EVENT_ID, 'must be an external event ID such as E1234'),
    event_id: z.string().regex(EVENT_ID, 'must be an event ID such as G1234'),
  },
  async run({ superevent_id, ext_id, event_id }) {
    const deps = services();
    for (const objectId of [superevent_id, ext_id, event_id]) await deps.gracedb.createLabel(RAVEN_ALERT_LABEL, objectId);
    // A RAVEN_ALERT makes the GW event publishable whatever its FAR: the superevent manager ranks it again.
    const regrouped = await notifyLabelAdded(deps, event_id, RAVEN_ALERT_LABEL);
    return { superevent_id, ext_id, event_id, label: RAVEN_ALERT_LABEL, labelled: [superevent_id, ext_id, event_id], regrouped };
  },
});
