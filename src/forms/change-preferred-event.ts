// Change Preferred Event: log, set the preferred event and copy its files to the superevent; no alert is sent.
import { preliminaryAlertTask } from '../tasks/orchestrator.js';
import { chain } from '../queue/canvas.js';
import { queuedLog, setPreferredEvent } from './chain-steps.js';
import { defineForm } from './define-form.js';
import { eventField, supereventField } from './fields.js';

export const changePreferedEvent = defineForm({
  name: 'change_prefered_event',
  title: 'Change Preferred Event',
  description: "Make another event the superevent's preferred event. No alert is sent.",
  button: 'Change preferred event',
  fields: [supereventField, eventField],
  confirm: true,
  queued: 'preferred event change',
  build: (values, context) =>
    chain(
      queuedLog(values.superevent_id, `User ${context.user} queued a preferred event change to ${values.event_id}.`),
      setPreferredEvent(values.superevent_id, values.event_id),
      preliminaryAlertTask.signature([values.superevent_id, values.event_id], { initiate_alert: false }, {}, true),
    ),
});
