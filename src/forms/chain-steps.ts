// Chain steps several forms begin with: the "User X queued …" log entry, and making an event the preferred one.
import type { Canvas } from '../queue/canvas.js';
import { updateSuperevent, upload } from '../tasks/gracedb.js';

/** GWCelery logs who asked on the superevent first, tagged em_follow, so the log tells the story in order. */
export function queuedLog(supereventId: string, message: string): Canvas {
  return upload.si(null, null, supereventId, message, ['em_follow']);
}

export function setPreferredEvent(supereventId: string, eventId: string): Canvas {
  return updateSuperevent.signature([supereventId], { preferred_event: eventId }, {}, true);
}
