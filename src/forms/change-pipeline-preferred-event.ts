// Change Pipeline Preferred Event: GraceDB look-ups and GWCelery's refusals, then log, pipeline-preferred event, alert contents rebuilt (not sent).
import { addPipelinePreferredEvent } from '../tasks/gracedb.js';
import { alertContentsTask } from '../tasks/orchestrator.js';
import { chain } from '../queue/canvas.js';
import { queuedLog } from './chain-steps.js';
import { defineForm } from './define-form.js';
import { eventField, idField, supereventField } from './fields.js';
import { lookUpEvent, lookUpSuperevent } from './gracedb-lookups.js';

const pipelineField = idField('pipeline', /^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'gstlal', {
  label: 'Pipeline',
  help: 'the pipeline that uploaded the event (gstlal, pycbc, MBTA, spiir, cwb…), not the one of the preferred event',
});

export const changePipelinePreferredEvent = defineForm({
  name: 'change_pipeline_preferred_event',
  title: 'Change Pipeline Preferred Event',
  description: "Make an event its pipeline's preferred event in the superevent, and rebuild the alert contents. No alert is sent.",
  button: 'Change pipeline preferred event',
  fields: [supereventField, pipelineField, eventField],
  confirm: true,
  flash: (values) => `Changed ${values.pipeline.toLowerCase()} preferred event for ${values.superevent_id}.`,
  async check(values, gracedb) {
    const pipeline = values.pipeline.toLowerCase();
    const event = await lookUpEvent(gracedb, 'change', values.event_id);
    if (!event.ok) return { event_id: event.problem };
    const uploadedBy = event.record.pipeline.toLowerCase();
    if (uploadedBy !== pipeline)
      return {
        event_id: `No change performed. ${values.event_id} was uploaded by ${uploadedBy} and cannot be the ${pipeline}-preferred event.`,
      };
    const superevent = await lookUpSuperevent(gracedb, 'change', values.superevent_id);
    if (!superevent.ok) return { superevent_id: superevent.problem };
    // The preferred event is its pipeline's preferred event: that one changes with Change Preferred Event instead.
    if (superevent.record.preferred_event_data?.pipeline.toLowerCase() === pipeline)
      return {
        pipeline: `No change performed. User specified pipeline, ${pipeline}, is the same pipeline that produced ${values.superevent_id}'s preferred event.`,
      };
    return undefined;
  },
  build: (values, context) =>
    chain(
      queuedLog(values.superevent_id, `User ${context.user} queued a ${values.pipeline} preferred event change to ${values.event_id}.`),
      addPipelinePreferredEvent.si(values.superevent_id, values.event_id),
      alertContentsTask.si(values.superevent_id),
    ),
});
