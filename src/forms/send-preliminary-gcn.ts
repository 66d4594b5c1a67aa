// Issue Preliminary GCN Notice: look the event up, then log, set the preferred event and t_0, copy its files, send the PRELIMINARY alert.
import { preliminaryAlertTask } from '../tasks/orchestrator.js';
import { chain } from '../queue/canvas.js';
import { queuedLog, setPreferredEvent } from './chain-steps.js';
import { defineForm } from './define-form.js';
import { eventField, supereventField } from './fields.js';
import { refuseUnknownIds } from './gracedb-lookups.js';
import { previewAlert } from '../tasks/alert-preview.js';

export const sendPreliminaryGcn = defineForm({
  name: 'send_preliminary_gcn',
  title: 'Issue Preliminary GCN Notice',
  description: 'Set the preferred event, copy its sky map, em_bright and p_astro to the superevent, and send a PRELIMINARY alert.',
  button: 'Send preliminary alert',
  fields: [supereventField, eventField],
  confirm: true,
  flash: (values) => `Queued preliminary alert for ${values.superevent_id}.`,
  check: (values, gracedb) => refuseUnknownIds(gracedb, 'action', values, [['event_id', 'event']]),
  preview: (values, gracedb, config) =>
    previewAlert(gracedb, config.domain, values.superevent_id, 'PRELIMINARY', { eventId: values.event_id }),
  build: (values, context) =>
    chain(
      queuedLog(values.superevent_id, `User ${context.user} queued a Preliminary alert through the dashboard.`),
      setPreferredEvent(values.superevent_id, values.event_id),
      preliminaryAlertTask.si(values.superevent_id, values.event_id),
    ),
});
