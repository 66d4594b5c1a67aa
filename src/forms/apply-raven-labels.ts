// Designate External Coincidence: log, em_type and coincidence FARs from the external event, then RAVEN_ALERT on all three.
import { applyRavenLabels as applyRavenLabelsTask, updatePreferredExternalEventTask } from '../tasks/raven.js';
import { chain } from '../queue/canvas.js';
import { queuedLog } from './chain-steps.js';
import { defineForm } from './define-form.js';
import { eventField, externalEventField, supereventField } from './fields.js';

export const applyRavenLabels = defineForm({
  name: 'apply_raven_labels',
  title: 'Designate External Coincidence',
  description:
    "Make the external event the superevent's em_type (with its coincidence FARs for GRB searches), then apply RAVEN_ALERT to the superevent, the external event and the GW event.",
  button: 'Apply RAVEN labels',
  fields: [supereventField, externalEventField, eventField],
  confirm: true,
  flash: (values) => `Applied RAVEN alert label for ${values.superevent_id}.`,
  build: (values, context) =>
    chain(
      queuedLog(
        values.superevent_id,
        `User ${context.user} queued RAVEN alert labels for ${values.ext_id} and ${values.event_id} through the dashboard.`,
      ),
      updatePreferredExternalEventTask.si(values.superevent_id, values.ext_id),
      applyRavenLabelsTask.si(values.superevent_id, values.ext_id, values.event_id),
    ),
});
