// Designate External Coincidence: log, then RAVEN_ALERT on the superevent, the external event and the GW event.
import { applyRavenLabels as applyRavenLabelsTask } from '../tasks/raven.js';
import { chain } from '../queue/canvas.js';
import { queuedLog } from './chain-steps.js';
import { defineForm } from './define-form.js';
import { eventField, externalEventField, supereventField } from './fields.js';

export const applyRavenLabels = defineForm({
  name: 'apply_raven_labels',
  title: 'Designate External Coincidence',
  description: 'Apply RAVEN_ALERT to the superevent, the external event and the GW event.',
  button: 'Apply RAVEN labels',
  fields: [supereventField, externalEventField, eventField],
  confirm: true,
  queued: 'RAVEN labels',
  build: (values, context) =>
    chain(
      queuedLog(
        values.superevent_id,
        `User ${context.user} queued RAVEN alert labels for ${values.ext_id} and ${values.event_id} through the dashboard.`,
      ),
      applyRavenLabelsTask.si(values.superevent_id, values.ext_id, values.event_id),
    ),
});
