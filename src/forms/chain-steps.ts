// Chain steps several forms begin with: the "User X queued …" log entry, and making an event the preferred one.
import type { Canvas } from '../queue/canvas.js';
import { upload } from '../tasks/gracedb.js';
import { setPreferredEventTask } from '../tasks/superevents.js';

/** GWCelery logs who asked on the superevent first, tagged em_follow, so the log tells the story in order. */
export function queuedLog(supereventId: string, message: string): Canvas {
  return upload.si(null, null, supereventId, message, ['em_follow']);
}

/**
 * The preferred event and t_0 (the event's gpstime, read by the task when it runs) in one update; with
 * `pipelinePreferred`, the event also becomes its pipeline's preferred event when it is not already.
 */
export function setPreferredEvent(supereventId: string, eventId: string, pipelinePreferred = false): Canvas {
  return setPreferredEventTask.signature([supereventId, eventId], { update_pipeline_preferred: pipelinePreferred }, {}, true);
}
