// Mock events: a synthetic CBC event "now" (MDC by default) with its sky map, em_bright and p_astro, complete and then grouped.
import { z } from 'zod';
import { dateToGps } from '../gracedb/index.js';
import { TransientError } from '../queue/errors.js';
import { defineTask } from '../queue/registry.js';
import { taskNow, taskRandom } from '../queue/current-task.js';
import { createMockEvent, drawMockSource, emBright, mockSkymap, pAstro } from './mock-event-files.js';
import { services } from './services.js';
import { notifyLabelAdded } from './superevents.js';
import { EVENT_ID } from '../gracedb/id-patterns.js';
import { defineSchedule } from '../schedules/schedule-registry.js';

export interface MockEventResult {
  graceid: string;
  search: MockSearch;
  gpstime: number;
  far: number;
  snr: number;
  mass1: number;
  mass2: number;
  instruments: string;
}

/**
 * The searches a mock event can be uploaded as: MDC (GWCelery's hourly mock uploads; an MS superevent), and the
 * production searches a gstlal upload carries, EarlyWarning among them (an S superevent, as a real candidate).
 */
export const MOCK_SEARCHES = ['MDC', 'AllSky', 'EarlyWarning', 'SSM'] as const;
export type MockSearch = (typeof MOCK_SEARCHES)[number];

/** Uploads one mock event the way a pipeline and the annotation tasks would; returns what was uploaded. */
export async function uploadMockEvent(search: MockSearch = 'MDC'): Promise<MockEventResult> {
  const deps = services();
  const { gracedb } = deps;
  // Drawn from the task's ID and submission time: a run picked up again uploads the same event (once, see gracedb-once).
  const source = drawMockSource(dateToGps(taskNow()), taskRandom('mock-event'));
  const event = await createMockEvent(gracedb, source, search);
  const graceid = event.graceid;
  await gracedb.writeLog(graceid, 'BAYESTAR rapid sky localization ready', {
    filename: 'bayestar.multiorder.fits',
    filecontents: mockSkymap(source, graceid),
    tags: ['sky_loc'],
  });
  await gracedb.writeLog(graceid, 'Source properties (em_bright) from the template masses', {
    filename: 'em_bright.json',
    filecontents: JSON.stringify(emBright(source)),
    tags: ['em_bright'],
  });
  await gracedb.writeLog(graceid, 'Source classification (p_astro)', {
    filename: 'p_astro.json',
    filecontents: JSON.stringify(pAstro(source)),
    tags: ['p_astro'],
  });
  for (const label of ['SKYMAP_READY', 'EMBRIGHT_READY', 'PASTRO_READY']) {
    await gracedb.createLabel(label, graceid);
    // The last of the three completes the event: the superevent manager then makes it preferred and EM_READY.
    await notifyLabelAdded(deps, graceid, label);
  }
  return {
    graceid,
    search,
    gpstime: source.gpstime,
    far: source.far,
    snr: source.snr,
    mass1: source.mass1,
    mass2: source.mass2,
    instruments: source.instruments.join(','),
  };
}

export const uploadEvent = defineTask({
  name: 'gwqueue.tasks.first2years.upload_event',
  description:
    'Uploads a synthetic CBC event (gstlal; search MDC unless given, EarlyWarning labelled EARLY_WARNING) with its sky map, em_bright and p_astro; it is grouped into a superevent.',
  params: { search: z.enum(MOCK_SEARCHES).default('MDC') },
  // A retry would upload a second mock event: once is enough.
  retry: { attempts: 1 },
  async run({ search }) {
    return uploadMockEvent(search);
  },
});

/** GWCelery's beat uploads a mock event every hour: its MDC superevent is the canary Nagios watches (health/canary.ts). */
export const uploadEventSchedule = defineSchedule({
  name: 'mock-event',
  task: uploadEvent,
  description: 'A mock MDC event, grouped into an MS superevent: proves upload, grouping, labels and the workers end to end.',
});

const MOCK_EVENT = z.union([
  z.string().regex(EVENT_ID, 'must be an event ID such as M1234'),
  z.looseObject({ graceid: z.string().regex(EVENT_ID) }),
]);

export const awaitSuperevent = defineTask({
  name: 'gwqueue.tasks.first2years.await_superevent',
  description: 'Waits until an event has been grouped into a superevent, optionally logs a message there, and returns both IDs.',
  params: {
    event: MOCK_EVENT,
    message: z.string().max(10_000).nullable().default(null),
  },
  // Grouping runs as its own task: retry (not fail) until it has, for up to about a minute.
  retry: { attempts: 9, backoffMs: 250 },
  async run({ event, message }) {
    const graceid = typeof event === 'string' ? event : event.graceid;
    const { gracedb } = services();
    const record = await gracedb.getEvent(graceid);
    if (!record.superevent) throw new TransientError(`${graceid} is not grouped into a superevent yet`);
    if (message) await gracedb.writeLog(record.superevent, message, { tags: ['em_follow'] });
    return { ...(typeof event === 'string' ? {} : event), graceid, superevent_id: record.superevent };
  },
});
