// Superevents the tests seed straight into a GraceDB (embedded or REST), without a worker: a bare one for the forms'
// look-ups, and an MDC one ready for a Preliminary alert.
import { dateToGps, type GraceDb } from '../../src/gracedb/index.js';
import { createMockEvent, drawMockSource, emBright, pAstro } from '../../src/tasks/mock-event-files.js';

export interface SeededSuperevent {
  superevent: string;
  /** Its preferred (and only) event. */
  event: string;
}

/** A CBC event and a superevent around it: enough for the forms that look both up before queuing. */
export async function seedSuperevent(gracedb: GraceDb): Promise<SeededSuperevent> {
  const event = await gracedb.createEvent({
    group: 'CBC',
    pipeline: 'gstlal',
    search: 'AllSky',
    filename: 'event.json',
    filecontents: JSON.stringify({ gpstime: 1388000000.5, far: 1e-10, instruments: 'H1,L1' }),
  });
  const superevent = await gracedb.createSuperevent({
    t_start: 1388000000,
    t_0: 1388000000.5,
    t_end: 1388000001,
    preferred_event: event.graceid,
  });
  return { superevent: superevent.superevent_id, event: event.graceid };
}

/**
 * An MDC superevent whose preferred event has its sky map, em_bright and p_astro (and their READY labels): ready for a
 * Preliminary alert. `index` spaces the superevents 10 s apart, so many can be seeded without grouping together.
 */
export async function seedAlertReadySuperevent(gracedb: GraceDb, index: number, skymap: Buffer): Promise<SeededSuperevent> {
  return seedAlertReadyFrom(gracedb, drawMockSource(dateToGps(new Date('2025-01-01T00:00:00Z')) + index * 10), skymap);
}

/** The same from a given mock source (a test comparing two GraceDBs seeds both alike). */
export async function seedAlertReadyFrom(
  gracedb: GraceDb,
  source: ReturnType<typeof drawMockSource>,
  skymap: Buffer,
): Promise<SeededSuperevent> {
  const event = await createMockEvent(gracedb, source);
  const id = event.graceid;
  await gracedb.writeLog(id, 'sky map', { filename: 'bayestar.multiorder.fits', filecontents: skymap, tags: ['sky_loc'] });
  await gracedb.writeLog(id, 'em_bright', {
    filename: 'em_bright.json',
    filecontents: JSON.stringify(emBright(source)),
    tags: ['em_bright'],
  });
  await gracedb.writeLog(id, 'p_astro', { filename: 'p_astro.json', filecontents: JSON.stringify(pAstro(source)), tags: ['p_astro'] });
  for (const label of ['SKYMAP_READY', 'EMBRIGHT_READY', 'PASTRO_READY']) await gracedb.createLabel(label, id);
  const superevent = await gracedb.createSuperevent({
    t_start: source.gpstime - 1,
    t_0: source.gpstime,
    t_end: source.gpstime + 1,
    preferred_event: id,
    category: 'mdc',
  });
  return { superevent: superevent.superevent_id, event: id };
}
