// Mock external events: a synthetic Fermi GRB a few seconds around a superevent's t_0 (added to its em_events), a mock SNEWS trigger.
import { z } from 'zod';
import { dateToGps, gpsToDate, type GraceDb } from '../gracedb/index.js';
import { defineTask } from '../queue/registry.js';
import { taskNow, taskRandom, type Random } from '../queue/current-task.js';
import { gcnVoEvent, grbVoEvent, uploadGrbNotice } from './external-triggers.js';
import { services } from './services.js';
import { SUPEREVENT_ID } from '../gracedb/id-patterns.js';
import { withLock } from './redis-lock.js';
import { lockKeys } from '../redis/keys.js';
import { defineSchedule } from '../schedules/schedule-registry.js';

/** GWCelery's raven_coincidence_windows['GRB_CBC']: a GRB from 5 s before to 1 s after the merger. */
export const GRB_CBC_WINDOW: readonly [number, number] = [-5, 1];

export interface MockGrb {
  gpstime: number;
  ra: number;
  dec: number;
  errorRadius: number;
}

/** Time inside the GRB–CBC window seen from the GW side, a sky position uniform on the sphere, a 1–30° error radius. */
export function drawMockGrb(t0: number, random: Random = Math.random): MockGrb {
  const [before, after] = GRB_CBC_WINDOW;
  return {
    gpstime: Number((t0 - after + (after - before) * random()).toFixed(3)),
    ra: 360 * random(),
    dec: (Math.asin(2 * random() - 1) * 180) / Math.PI,
    errorRadius: 1 + 29 * random(),
  };
}

export interface MockGrbResult {
  /** The GW event the chain started from, when known. */
  graceid?: string;
  superevent_id: string;
  external_id: string;
  external_gpstime: number | null;
  ra: number;
  dec: number;
  error_radius: number;
  /** True when the MDC superevent had its mock GRB already (the automatic joint MDC one): that one is named, none added. */
  existing?: boolean;
}

const round4 = (value: number | null | undefined) => (typeof value === 'number' ? Number(value.toFixed(4)) : NaN);

/**
 * An MDC superevent gets one mock GRB, whoever asks first: the superevent manager (every `joint_mdc_freq`-th one) or the
 * mock joint event form. The second asker is given the first one's GRB, so there is only one `ext_id` to choose.
 */
async function existingMockGrb(gracedb: GraceDb, supereventId: string): Promise<MockGrbResult | undefined> {
  const superevent = await gracedb.getSuperevent(supereventId);
  if (superevent.category !== 'MDC') return undefined;
  for (const id of superevent.em_events) {
    const event = await gracedb.getEvent(id);
    if (event.group !== 'External' || event.search !== 'MDC') continue;
    const grb = event.extra_attributes.GRB ?? {};
    return {
      superevent_id: supereventId,
      external_id: event.graceid,
      external_gpstime: event.gpstime,
      ra: round4(grb.ra),
      dec: round4(grb.dec),
      error_radius: round4(grb.error_radius),
      existing: true,
    };
  }
  return undefined;
}

/** Uploads a mock Fermi GRB near the superevent's t_0 and adds it to the superevent (it lands in em_events). */
export async function uploadMockGrb(gracedb: GraceDb, supereventId: string): Promise<MockGrbResult> {
  const superevent = await gracedb.getSuperevent(supereventId);
  const grb = drawMockGrb(superevent.t_0, taskRandom('mock-grb'));
  const mdc = superevent.category === 'MDC';
  // GraceDB only lets events of a superevent's own category join it, so a GRB for an MDC superevent is an MDC one.
  const event = await uploadGrbNotice(gracedb, grbVoEvent({ ...grb, observatory: 'Fermi', mdc }), mdc ? 'MDC' : 'GRB');
  await gracedb.addEventToSuperevent(supereventId, event.graceid);
  return {
    superevent_id: supereventId,
    external_id: event.graceid,
    external_gpstime: event.gpstime,
    ra: Number(grb.ra.toFixed(4)),
    dec: Number(grb.dec.toFixed(4)),
    error_radius: Number(grb.errorRadius.toFixed(4)),
  };
}

export const uploadExternalEvent = defineTask({
  name: 'gwqueue.tasks.first2years_external.upload_external_event',
  description:
    "Uploads a synthetic Fermi GRB a few seconds around a superevent's t_0 and adds it to the superevent (an MDC superevent that has one already: that one, none added).",
  params: {
    /** A superevent ID, or a mock event step's result ({graceid, superevent_id}). */
    superevent: z.union([
      z.string().regex(SUPEREVENT_ID, 'must be a superevent ID such as MS240101a'),
      z.looseObject({ superevent_id: z.string().regex(SUPEREVENT_ID), graceid: z.string().optional() }),
    ]),
  },
  async run({ superevent }) {
    const supereventId = typeof superevent === 'string' ? superevent : superevent.superevent_id;
    const { gracedb, redis, config } = services();
    // Under a lock per superevent: the automatic joint MDC task and the form's step may run at the same moment.
    const result = await withLock(
      redis,
      lockKeys.mockGrb(config, supereventId),
      async () => (await existingMockGrb(gracedb, supereventId)) ?? uploadMockGrb(gracedb, supereventId),
    );
    return typeof superevent === 'string' || !superevent.graceid ? result : { graceid: superevent.graceid, ...result };
  },
});

/** A SNEWS GCN VOEvent for a mock (MDC) supernova neutrino burst at `gpstime`: an `lvk.internal` IVORN and role="test". */
export function snewsVoEvent(gpstime: number): string {
  const date = gpsToDate(gpstime).toISOString();
  return gcnVoEvent({
    ivorn: `ivo://lvk.internal/SNEWS#MDC-test_event_${date}`,
    role: 'test',
    date,
    params: [
      `<Param name="TrigID" value="${Math.floor(gpstime)}" ucd="meta.id" />`,
      `<Param name="Event_TJD" value="${Math.floor(gpstime / 86400) + 10_000}" unit="days" />`,
    ],
  });
}

export const uploadSnewsEvent = defineTask({
  name: 'gwqueue.tasks.first2years_external.upload_snews_event',
  description: 'Uploads a mock (MDC) SNEWS supernova neutrino trigger "now" as an External event, as GWCelery does every two hours.',
  params: {},
  // A retry would upload a second mock trigger: once is enough.
  retry: { attempts: 1 },
  async run() {
    const gpstime = Number(dateToGps(taskNow()).toFixed(3));
    const event = await services().gracedb.createEvent({
      group: 'External',
      pipeline: 'SNEWS',
      search: 'MDC',
      filename: 'snews_gcn.xml',
      filecontents: snewsVoEvent(gpstime),
    });
    return { graceid: event.graceid, gpstime, pipeline: 'SNEWS', search: 'MDC' };
  },
});

/** GWCelery's beat uploads a mock SNEWS event every two hours. */
export const uploadSnewsSchedule = defineSchedule({
  name: 'mock-snews',
  task: uploadSnewsEvent,
  description: 'A mock SNEWS external event (search MDC): exercises the external-trigger path.',
});
