// Change Preferred Event: GraceDB look-ups first, then log, preferred event and t_0, pipeline-preferred event, files; no alert.
import { preliminaryAlertTask } from '../tasks/orchestrator.js';
import { chain } from '../queue/canvas.js';
import { queuedLog, setPreferredEvent } from './chain-steps.js';
import { defineForm } from './define-form.js';
import { eventField, supereventField } from './fields.js';
import { refuseUnknownIds } from './gracedb-lookups.js';

export const changePreferredEvent = defineForm({
  name: 'change_preferred_event',
  // GWCelery's earlier spelling: old bookmarks and scripts still post there.
  aliases: ['change_prefered_event'],
  title: 'Change Preferred Event',
  description:
    "Make another event the superevent's preferred event (t_0 becomes its time) and its pipeline's preferred event. No alert is sent.",
  button: 'Change preferred event',
  fields: [supereventField, eventField],
  confirm: true,
  flash: (values) => `Changed preferred event for ${values.superevent_id}.`,
  check: (values, gracedb) =>
    refuseUnknownIds(gracedb, 'change', values, [
      ['event_id', 'event'],
      ['superevent_id', 'superevent'],
    ]),
  build: (values, context) =>
    chain(
      queuedLog(values.superevent_id, `User ${context.user} queued a preferred event change to ${values.event_id}.`),
      setPreferredEvent(values.superevent_id, values.event_id, true),
      preliminaryAlertTask.signature([values.superevent_id, values.event_id], { initiate_alert: false }, {}, true),
    ),
});
