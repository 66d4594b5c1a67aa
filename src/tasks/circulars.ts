// Circular tasks: compose the initial, an update or the retraction GCN Circular from a superevent's data and latest public files.
import { z } from 'zod';
import type { GraceDb } from '../gracedb/index.js';
import { defineTask } from '../queue/registry.js';
import { initialCircular, retractionCircular, updateCircular, UPDATE_TYPES, type CircularData, type UpdateType } from './circular-text.js';
import { circularText, type CircularResult } from './circular-result.js';
import { services } from './services.js';
import { latestDataProducts, readProbabilities, readSkymapFile, type DataProductFiles } from './superevent-files.js';
import { SUPEREVENT_ID as SUPEREVENT_ID_PATTERN } from '../gracedb/id-patterns.js';
import { coincidentExternalEvent } from './raven.js';
import type { RavenSummary } from './circular-text.js';

const SUPEREVENT_ID = z.string().regex(SUPEREVENT_ID_PATTERN, 'must be a superevent ID such as S240101a');

/** The superevent and the given files, or else whichever of its latest public sky map, em_bright and p_astro exist. */
export async function circularData(gracedb: GraceDb, supereventId: string, chosen?: DataProductFiles): Promise<CircularData> {
  const [superevent, logs] = await Promise.all([
    gracedb.getSuperevent(supereventId),
    chosen ? Promise.resolve([]) : gracedb.getLogs(supereventId),
  ]);
  // em_bright is public on a superevent once copied for an alert; GWCelery does not insist on the tag for it.
  const files = chosen ?? { ...latestDataProducts(logs, { requirePublic: true }), em_bright: latestDataProducts(logs).em_bright };
  const data: CircularData = { superevent };
  if (files.skymap) {
    const { bytes: _bytes, ...skymap } = await readSkymapFile(gracedb, supereventId, files.skymap);
    data.skymap = skymap;
  }
  if (files.em_bright) data.emBright = await readProbabilities(gracedb, supereventId, files.em_bright);
  if (files.p_astro) data.pAstro = await readProbabilities(gracedb, supereventId, files.p_astro);
  return data;
}

export async function composeUpdateCircular(
  gracedb: GraceDb,
  supereventId: string,
  updateTypes: UpdateType[],
  files?: DataProductFiles,
): Promise<CircularResult> {
  const data = await circularData(gracedb, supereventId, files);
  if (updateTypes.includes('raven')) data.raven = await ravenSummary(gracedb, data.superevent);
  const circular = updateCircular(data, updateTypes);
  return { superevent_id: supereventId, ...circular, text: circularText(circular) };
}

/** The superevent's coincident external event (its em_type first) for a `raven` update; undefined when it has none. */
export async function ravenSummary(gracedb: GraceDb, superevent: CircularData['superevent']): Promise<RavenSummary | undefined> {
  const external = await coincidentExternalEvent(gracedb, superevent);
  if (!external) return undefined;
  return {
    graceid: external.graceid,
    pipeline: external.pipeline,
    search: external.search,
    timeDifference: external.gpstime === null ? null : Number((superevent.t_0 - external.gpstime).toFixed(2)),
    timeCoincFar: superevent.time_coinc_far,
    spaceCoincFar: superevent.space_coinc_far,
  };
}

export async function composeRetractionCircular(gracedb: GraceDb, supereventId: string): Promise<CircularResult> {
  const circular = retractionCircular(await gracedb.getSuperevent(supereventId));
  return { superevent_id: supereventId, ...circular, text: circularText(circular) };
}

export async function composeInitialCircular(gracedb: GraceDb, supereventId: string): Promise<CircularResult> {
  const circular = initialCircular(await circularData(gracedb, supereventId));
  return { superevent_id: supereventId, ...circular, text: circularText(circular) };
}

export const createUpdateCircular = defineTask({
  name: 'gwqueue.tasks.circulars.create_update_circular',
  description: 'Returns the text (subject and body) of an update circular for any of sky_localization, em_bright, p_astro.',
  params: {
    superevent_id: SUPEREVENT_ID,
    update_types: z
      .array(z.enum(UPDATE_TYPES))
      .min(1, `choose at least one of ${UPDATE_TYPES.join(', ')}`)
      .max(UPDATE_TYPES.length),
  },
  async run({ superevent_id, update_types }) {
    return composeUpdateCircular(services().gracedb, superevent_id, update_types);
  },
});

export const createInitialCircular = defineTask({
  name: 'gwqueue.tasks.circulars.create_initial_circular',
  description: 'Returns the text (subject and body) of the initial circular draft for a superevent.',
  params: { superevent_id: SUPEREVENT_ID },
  async run({ superevent_id }) {
    return composeInitialCircular(services().gracedb, superevent_id);
  },
});
