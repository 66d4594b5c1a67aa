// The superevent manager: groups each new event into a superevent as GWCelery does, one category at a time.
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import {
  eventCategory,
  GraceDbBadRequestError,
  type EventRecord,
  type GraceDb,
  type SupereventRecord,
  type SupereventUpdate,
} from '../gracedb/index.js';
import type { Canvas } from '../queue/canvas.js';
import { lockKeys } from '../redis/keys.js';
import { defineTask } from '../queue/registry.js';
import { withLock } from './redis-lock.js';
import { GROUPING_TASK, services } from './services.js';
import {
  ADVOCATE_REQUEST_LABEL,
  EARLY_WARNING_LABEL,
  FROZEN_LABEL,
  READY_LABEL,
  eventSegment,
  isBetterPreferred,
  isComplete,
  isJointMdc,
  labelTriggersGrouping,
  segmentsIntersect,
  shouldPublish,
} from './superevent-rules.js';
import { EVENT_ID, SUPEREVENT_ID } from '../gracedb/id-patterns.js';

/** Enqueued by name (like GROUPING_TASK) so that the superevent manager does not import the mock-event modules. */
export const JOINT_MDC_TASK = 'gwqueue.tasks.first2years_external.upload_external_event';

export interface GroupingDeps {
  config: Config;
  gracedb: GraceDb;
  redis: Redis;
  /** Used to ask for a mock GRB on every `joint_mdc_freq`-th MDC superevent; none: never. */
  enqueue?: (canvas: Canvas) => Promise<string>;
}

export type GroupingTrigger = 'new' | 'label_added';

export interface GroupingResult {
  graceid: string;
  superevent_id: string | null;
  action: 'created' | 'added' | 'updated' | 'skipped';
  reason?: string;
  preferred_event?: string;
  labels: string[];
}

function skipped(graceid: string, reason: string): GroupingResult {
  return { graceid, superevent_id: null, action: 'skipped', reason, labels: [] };
}

/** Why an event is not for the superevent manager, or undefined when it is. */
function skipReason(event: EventRecord, config: Config): string | undefined {
  if (event.group === 'External') return 'external events are not grouped by the superevent manager';
  if (event.gpstime === null) return 'the event has no gpstime';
  if (event.far === null) return 'the event has no FAR';
  if (event.far > config.domain.superevent.farThreshold)
    return `FAR ${event.far} Hz is above the superevent threshold ${config.domain.superevent.farThreshold} Hz`;
  return undefined;
}

/**
 * Widens the window when asked, makes the event preferred when it ranks higher (unless the superevent is frozen by
 * EM_Selected), and labels the superevent EM_READY when the event is complete.
 */
async function updateSuperevent(
  deps: GroupingDeps,
  superevent: SupereventRecord,
  event: EventRecord,
  change: { t_0: number; t_start?: number; t_end?: number },
): Promise<{ preferred: string; labels: string[] }> {
  const preferred = superevent.preferred_event_data ?? (await deps.gracedb.getEvent(superevent.preferred_event));
  const update: { t_start?: number; t_end?: number; t_0?: number; preferred_event?: string } = {};
  if (change.t_start !== undefined) update.t_start = change.t_start;
  if (change.t_end !== undefined) update.t_end = change.t_end;
  if (
    !superevent.labels.includes(FROZEN_LABEL) &&
    preferred.graceid !== event.graceid &&
    isBetterPreferred(event, preferred, deps.config.domain)
  ) {
    update.t_0 = change.t_0;
    update.preferred_event = event.graceid;
  }
  if (Object.keys(update).length) await deps.gracedb.updateSuperevent(superevent.superevent_id, update);
  const labels: string[] = [];
  if (isComplete(event)) {
    await deps.gracedb.createLabel(READY_LABEL, superevent.superevent_id);
    labels.push(READY_LABEL);
  }
  return { preferred: update.preferred_event ?? preferred.graceid, labels };
}

/** GWCelery's superevents.process: find or create the event's superevent, then rank it and apply the labels. */
export async function groupEvent(deps: GroupingDeps, graceid: string, trigger: GroupingTrigger = 'new'): Promise<GroupingResult> {
  const first = await deps.gracedb.getEvent(graceid);
  const reason = skipReason(first, deps.config);
  if (reason) return skipped(graceid, reason);
  const category = eventCategory(first);
  // Two events of the same moment must end in one superevent: the find-or-create below runs alone per category.
  return withLock(deps.redis, lockKeys.grouping(deps.config, category), async () => {
    const event = await deps.gracedb.getEvent(graceid);
    const segment = eventSegment(event, deps.config.domain);
    let result: GroupingResult;
    if (event.superevent) {
      const superevent = await deps.gracedb.getSuperevent(event.superevent);
      const { preferred, labels } = await updateSuperevent(deps, superevent, event, { t_0: segment.t_0 });
      result = {
        graceid,
        superevent_id: superevent.superevent_id,
        action: 'updated',
        preferred_event: preferred,
        labels,
        reason: `${trigger} alert for an event already in ${superevent.superevent_id}`,
      };
    } else {
      const { superevent: query } = deps.config.domain;
      const nearby = await deps.gracedb.searchSuperevents(
        `category: ${category} t_0: ${segment.t_0 - query.queryDtStart} .. ${segment.t_0 + query.queryDtEnd}`,
        { sort: 't_0' },
      );
      const match = nearby.find((superevent) => segmentsIntersect(superevent, segment));
      if (match) {
        await deps.gracedb.addEventToSuperevent(match.superevent_id, graceid);
        const t_start = Math.min(match.t_start, segment.t_start);
        const t_end = Math.max(match.t_end, segment.t_end);
        const widen = { t_start: t_start !== match.t_start ? t_start : undefined, t_end: t_end !== match.t_end ? t_end : undefined };
        const { preferred, labels } = await updateSuperevent(deps, match, event, { t_0: segment.t_0, ...widen });
        result = { graceid, superevent_id: match.superevent_id, action: 'added', preferred_event: preferred, labels };
      } else {
        const labels = isComplete(event) ? [READY_LABEL] : [];
        const created = await deps.gracedb.createSuperevent({ ...segment, preferred_event: graceid, category, labels });
        result = { graceid, superevent_id: created.superevent_id, action: 'created', preferred_event: graceid, labels };
        if (category === 'mdc' && deps.enqueue && isJointMdc(created.superevent_id, deps.config.domain.jointMdcFreq)) {
          await deps.enqueue({
            kind: 'signature',
            task: JOINT_MDC_TASK,
            args: [created.superevent_id],
            kwargs: {},
            options: {},
            immutable: true,
          });
        }
      }
    }
    if (shouldPublish(event, deps.config.domain)) {
      const sid = result.superevent_id!;
      await deps.gracedb.createLabel(ADVOCATE_REQUEST_LABEL, sid);
      result.labels.push(ADVOCATE_REQUEST_LABEL);
      if (isComplete(event)) {
        // As GWCelery: a significant early-warning event marks its superevent, before the freeze that sends its alert.
        if (event.labels.includes(EARLY_WARNING_LABEL)) {
          await deps.gracedb.createLabel(EARLY_WARNING_LABEL, sid);
          result.labels.push(EARLY_WARNING_LABEL);
        }
        await deps.gracedb.createLabel(FROZEN_LABEL, sid);
        result.labels.push(FROZEN_LABEL);
      }
    }
    return result;
  });
}

/**
 * What a label_added IGWN alert does in GWCelery: when a label completes an event (or is RAVEN_ALERT), the superevent
 * manager looks at the event again. Call it after applying a label to an event.
 */
export async function notifyLabelAdded(
  deps: { config: Config; gracedb: GraceDb; enqueue(canvas: Canvas): Promise<string> },
  graceid: string,
  label: string,
): Promise<boolean> {
  const event = await deps.gracedb.getEvent(graceid);
  if (!labelTriggersGrouping(event, label, deps.config.domain)) return false;
  await deps.enqueue({ kind: 'signature', task: GROUPING_TASK, args: [graceid, 'label_added'], kwargs: {}, options: {}, immutable: true });
  return true;
}

export const processEvent = defineTask({
  name: GROUPING_TASK,
  queue: 'superevent',
  description: 'Groups an event into a superevent (creates one when none overlaps) and picks the preferred event.',
  params: {
    graceid: z.string().regex(EVENT_ID, 'must be an event ID such as G1234'),
    alert_type: z.enum(['new', 'label_added']).default('new'),
  },
  async run({ graceid, alert_type }) {
    return groupEvent(services(), graceid, alert_type);
  },
});

/**
 * Makes the event its pipeline's preferred event in the superevent; true when it was added, false when it already
 * was (a chain run again, or a preferred-event change that made it so): GraceDB refuses that, and it is no failure.
 */
export async function addPipelinePreferred(gracedb: GraceDb, supereventId: string, eventId: string): Promise<boolean> {
  try {
    await gracedb.addPipelinePreferredEvent(supereventId, eventId);
    return true;
  } catch (error) {
    if (error instanceof GraceDbBadRequestError && /is already the .* pipeline-preferred event/.test(error.serverMessage)) return false;
    throw error;
  }
}

export interface PreferredEventChange {
  superevent_id: string;
  preferred_event: string;
  /** The event's gpstime, now the superevent's t_0 (unchanged when the event has none). */
  t_0: number | null;
  /** The event was not its pipeline's preferred event, and now is (Change Preferred Event only). */
  pipeline_preferred_updated: boolean;
}

/**
 * An operator's preferred-event change: preferred_event and t_0 (the event's gpstime) in one update, as GWCelery's
 * dashboard does; with `updatePipelinePreferred`, an event that was not its pipeline's preferred event becomes it, with
 * GWCelery's log message.
 */
export async function setPreferredEvent(
  deps: GroupingDeps,
  supereventId: string,
  eventId: string,
  updatePipelinePreferred: boolean,
): Promise<PreferredEventChange> {
  const { gracedb } = deps;
  const [superevent, event] = await Promise.all([gracedb.getSuperevent(supereventId), gracedb.getEvent(eventId)]);
  // Decided from the superevent as it was: the update itself makes the new preferred event its pipeline's.
  const wasPipelinePreferred = superevent.pipeline_preferred_events[event.pipeline]?.graceid === eventId;
  const update: SupereventUpdate = { preferred_event: eventId };
  if (event.gpstime !== null) update.t_0 = event.gpstime;
  await gracedb.updateSuperevent(supereventId, update);
  let updated = false;
  if (updatePipelinePreferred && !wasPipelinePreferred) {
    const message = `Manual update of preferred event triggered update of ${event.pipeline}-preferred event to ${eventId}`;
    await gracedb.writeLog(supereventId, message, { tags: ['em_follow'] });
    await addPipelinePreferred(gracedb, supereventId, eventId);
    updated = true;
  }
  return { superevent_id: supereventId, preferred_event: eventId, t_0: event.gpstime, pipeline_preferred_updated: updated };
}

export const setPreferredEventTask = defineTask({
  name: 'gwqueue.tasks.superevents.set_preferred_event',
  description:
    "Sets a superevent's preferred event and its t_0 to the event's gpstime; with update_pipeline_preferred, also makes it its pipeline's preferred event.",
  params: {
    superevent_id: z.string().regex(SUPEREVENT_ID, 'must be a superevent ID such as S240101a'),
    event_id: z.string().regex(EVENT_ID, 'must be an event ID such as G1234'),
    update_pipeline_preferred: z.boolean().default(false),
  },
  async run({ superevent_id, event_id, update_pipeline_preferred }) {
    return setPreferredEvent(services(), superevent_id, event_id, update_pipeline_preferred);
  },
});
