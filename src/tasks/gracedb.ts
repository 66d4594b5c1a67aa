// GraceDB tasks with GWCelery's names and argument order (upload, get_event, create_label, download, …).
import { z } from 'zod';
import { defineTask } from '../queue/registry.js';
import { isEventId } from '../gracedb/index.js';
import { services } from './services.js';
import { addPipelinePreferred, notifyLabelAdded } from './superevents.js';
import { EVENT_ID, OBJECT_ID as OBJECT_ID_PATTERN, SUPEREVENT_ID } from '../gracedb/id-patterns.js';
import { plainFileName, type FileResult } from '../queue/file-result.js';

/** A GraceDB object: an event graceid (G1234) or a superevent ID (S240101a). */
export const OBJECT_ID = z.string().regex(OBJECT_ID_PATTERN, 'must be an event (G1234) or superevent (S240101a) ID');
export const LABEL = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a label name such as EM_READY');

/**
 * File contents in task arguments and results (JSON only): text as a string, bytes as `{ base64 }`.
 * `download` returns the `{ base64, filename }` form so that `download.si(...) | upload.s(...)` copies any file exactly,
 * and so that the task page, the API and `gwqueue result` can name the file and show text as text (queue/file-result.ts).
 */
export const FILE_CONTENTS = z.union([z.string(), z.object({ base64: z.string(), filename: z.string().optional() })]);
export type FileContents = z.infer<typeof FILE_CONTENTS>;

export function fileBytes(contents: FileContents): Buffer {
  return typeof contents === 'string' ? Buffer.from(contents, 'utf8') : Buffer.from(contents.base64, 'base64');
}

export function asFileContents(bytes: Buffer, filename?: string): FileResult {
  const name = filename === undefined ? '' : plainFileName(filename);
  return name ? { base64: bytes.toString('base64'), filename: name } : { base64: bytes.toString('base64') };
}

export const upload = defineTask({
  name: 'gwqueue.tasks.gracedb.upload',
  description: 'Writes a log message on an event or superevent, optionally with a file and tags (GWCelery: upload).',
  params: {
    filecontents: FILE_CONTENTS.nullable(),
    filename: z.string().min(1).max(255).nullable(),
    graceid: OBJECT_ID,
    message: z.string().max(10_000),
    tags: z.array(z.string().max(64)).max(20).default([]),
  },
  async run({ filecontents, filename, graceid, message, tags }) {
    const file = filecontents !== null && filename ? { filename, filecontents: fileBytes(filecontents) } : {};
    return services().gracedb.writeLog(graceid, message, { ...file, tags });
  },
});

export const getEvent = defineTask({
  name: 'gwqueue.tasks.gracedb.get_event',
  description: 'Returns an event record.',
  params: { graceid: z.string().regex(EVENT_ID, 'must be an event ID such as G1234') },
  async run({ graceid }) {
    return services().gracedb.getEvent(graceid);
  },
});

export const getSuperevent = defineTask({
  name: 'gwqueue.tasks.gracedb.get_superevent',
  description: 'Returns a superevent record (with its preferred event embedded).',
  params: { superevent_id: OBJECT_ID },
  async run({ superevent_id }) {
    return services().gracedb.getSuperevent(superevent_id);
  },
});

export const updateSuperevent = defineTask({
  name: 'gwqueue.tasks.gracedb.update_superevent',
  description:
    "Changes a superevent's time window, t_0, preferred event, or RAVEN's em_type and coincidence FARs; null or absent: unchanged; changing nothing is no error.",
  params: {
    superevent_id: OBJECT_ID,
    t_start: z.number().nullable().optional(),
    t_end: z.number().nullable().optional(),
    t_0: z.number().nullable().optional(),
    preferred_event: z.string().regex(EVENT_ID).nullable().optional(),
    em_type: z.string().regex(EVENT_ID, 'must be an event ID such as E1234').nullable().optional(),
    time_coinc_far: z.number().min(0).nullable().optional(),
    space_coinc_far: z.number().min(0).nullable().optional(),
  },
  async run({ superevent_id, ...fields }) {
    // As GWCelery's update_superevent: None leaves a field as it is.
    const update = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null && value !== undefined));
    return services().gracedb.updateSuperevent(superevent_id, update);
  },
});

export const addPipelinePreferredEvent = defineTask({
  name: 'gwqueue.tasks.gracedb.add_pipeline_preferred_event',
  description: "Makes an event its pipeline's preferred event in a superevent (it already is: no error).",
  params: { superevent_id: OBJECT_ID, event_id: z.string().regex(EVENT_ID, 'must be an event ID such as G1234') },
  async run({ superevent_id, event_id }) {
    return { superevent_id, event_id, added: await addPipelinePreferred(services().gracedb, superevent_id, event_id) };
  },
});

export const createSignoff = defineTask({
  name: 'gwqueue.tasks.gracedb.create_signoff',
  description:
    "An EM advocate's sign-off on a superevent (OK or NO, with a comment): GraceDB applies ADVOK or ADVNO, which sends the INITIAL or the RETRACTION alert.",
  params: {
    superevent_id: z.string().regex(SUPEREVENT_ID, 'must be a superevent ID such as S240101a'),
    status: z.enum(['OK', 'NO']),
    comment: z.string().max(1000).default(''),
  },
  async run({ superevent_id, status, comment }) {
    const signoff = await services().gracedb.signoff(superevent_id, { signoff_type: 'ADV', status, comment });
    return { superevent_id, signoff_type: signoff.signoff_type, status: signoff.status, label: `ADV${signoff.status}` };
  },
});

export const createLabel = defineTask({
  name: 'gwqueue.tasks.gracedb.create_label',
  description: 'Applies a label to an event or superevent (already there: no error).',
  params: { label: LABEL, graceid: OBJECT_ID },
  async run({ label, graceid }) {
    const { gracedb } = services();
    await gracedb.createLabel(label, graceid);
    // GraceDB would send a label_added IGWN alert; the superevent manager listens for the ones that matter.
    if (isEventId(graceid)) await notifyLabelAdded(services(), graceid, label);
    return { label, graceid };
  },
});

export const removeLabel = defineTask({
  name: 'gwqueue.tasks.gracedb.remove_label',
  description: 'Removes a label from an event or superevent (fails when it is not applied).',
  params: { label: LABEL, graceid: OBJECT_ID },
  async run({ label, graceid }) {
    await services().gracedb.removeLabel(label, graceid);
    return { label, graceid };
  },
});

export const getLog = defineTask({
  name: 'gwqueue.tasks.gracedb.get_log',
  description: 'Returns the log entries of an event or superevent, oldest first.',
  params: { graceid: OBJECT_ID },
  async run({ graceid }) {
    return services().gracedb.getLogs(graceid);
  },
});

export const download = defineTask({
  name: 'gwqueue.tasks.gracedb.download',
  description: 'Returns a file of an event or superevent as { base64, filename } (`name` for the latest version, `name,N` for one).',
  params: { filename: z.string().min(1).max(255), graceid: OBJECT_ID },
  async run({ filename, graceid }) {
    return asFileContents(await services().gracedb.download(filename, graceid), filename);
  },
});

const SEARCH_PARAMS = {
  query: z.string().max(1000),
  count: z.number().int().min(1).max(10_000).optional(),
  sort: z.string().max(32).optional(),
};

export const getEvents = defineTask({
  name: 'gwqueue.tasks.gracedb.get_events',
  description: 'Searches events with GraceDB\'s query syntax (e.g. "superevent: S240101a").',
  params: SEARCH_PARAMS,
  async run({ query, count, sort }) {
    return services().gracedb.searchEvents(query, { count, sort });
  },
});

export const getSuperevents = defineTask({
  name: 'gwqueue.tasks.gracedb.get_superevents',
  description: 'Searches superevents with GraceDB\'s query syntax (e.g. "category: mdc t_0: 1388000000 .. 1388000100").',
  params: SEARCH_PARAMS,
  async run({ query, count, sort }) {
    return services().gracedb.searchSuperevents(query, { count, sort });
  },
});

export const createEvent = defineTask({
  name: 'gwqueue.tasks.gracedb.create_event',
  description: 'Uploads a new event (coinc.xml, VOEvent or JSON); returns its record. New events are grouped into superevents.',
  params: {
    filecontents: FILE_CONTENTS,
    search: z.string().max(64).nullable(),
    pipeline: z.string().min(1).max(64),
    group: z.string().min(1).max(64),
    labels: z.array(LABEL).max(20).default([]),
    filename: z.string().min(1).max(255).default('initial.data'),
  },
  async run({ filecontents, search, pipeline, group, labels, filename }) {
    return services().gracedb.createEvent({
      group,
      pipeline,
      search: search ?? undefined,
      labels,
      filename,
      filecontents: fileBytes(filecontents),
    });
  },
});

export const addEventToSuperevent = defineTask({
  name: 'gwqueue.tasks.gracedb.add_event_to_superevent',
  description: 'Adds an event to a superevent (external events go to its em_events).',
  params: { superevent_id: OBJECT_ID, graceid: z.string().regex(EVENT_ID) },
  async run({ superevent_id, graceid }) {
    await services().gracedb.addEventToSuperevent(superevent_id, graceid);
    return { superevent_id, graceid };
  },
});
