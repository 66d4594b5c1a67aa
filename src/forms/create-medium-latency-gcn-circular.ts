// Create Medium-Latency GCN Circular: compose the GRB circular from an external trigger's PyGRB and X-Pipeline results (the task's result).
import { EXTERNAL_EVENT_ID, ID_EXAMPLES } from '../gracedb/id-patterns.js';
import { createMediumLatencyCircular, mediumLatencyProblem } from '../tasks/medium-latency-circular.js';
import { defineForm } from './define-form.js';
import { idField } from './fields.js';
import { lookUpEvent } from './gracedb-lookups.js';

export const createMediumLatencyGcnCircular = defineForm({
  name: 'create_medium_latency_gcn_circular',
  title: 'Create Medium-Latency GCN Circular',
  description: "Compose the text of the medium-latency GRB circular from the external trigger's PyGRB and X-Pipeline results.",
  button: 'Create circular',
  // GWCelery's field name; the RAVEN form's external event field is ext_id.
  fields: [
    idField('ext_event_id', EXTERNAL_EVENT_ID, ID_EXAMPLES.external, {
      label: 'External event ID',
      help: 'a GRB trigger (Fermi, Swift…) whose PyGRB or X-Pipeline results are in GraceDB',
    }),
  ],
  // A draft: nothing is sent or changed, so no confirmation (as the update circular).
  confirm: false,
  flash: (values) => `Creating the medium-latency GRB circular for ${values.ext_event_id}.`,
  // GraceDB is asked before queuing: an unknown trigger, one that is no GRB or has no results yet is a field error.
  async check(values, gracedb) {
    const event = await lookUpEvent(gracedb, 'action', values.ext_event_id);
    if (!event.ok) return { ext_event_id: event.problem };
    return { ext_event_id: mediumLatencyProblem(event.record, await gracedb.listFiles(values.ext_event_id)) };
  },
  build: (values) => createMediumLatencyCircular.si(values.ext_event_id),
});
