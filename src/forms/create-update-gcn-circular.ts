// Create Update GCN Circular: log, compose the circular's text from the superevent's latest files (the chain's result).
import { UPDATE_TYPES } from '../tasks/circular-text.js';
import { createUpdateCircular } from '../tasks/circulars.js';
import { chain } from '../queue/canvas.js';
import { queuedLog } from './chain-steps.js';
import { defineForm } from './define-form.js';
import { atLeastOne, checkboxField, supereventField } from './fields.js';

const LABELS = { sky_localization: 'Sky localization', em_bright: 'em_bright', p_astro: 'p_astro', raven: 'RAVEN coincidence' } as const;
const updateTypeFields = UPDATE_TYPES.map((type) => checkboxField(type, LABELS[type]));

export const createUpdateGcnCircular = defineForm({
  name: 'create_update_gcn_circular',
  title: 'Create Update GCN Circular',
  description: "Compose the text of an update circular from the superevent's latest files and, for raven, its external coincidence.",
  button: 'Create circular',
  fields: [supereventField, ...updateTypeFields],
  rules: [atLeastOne(updateTypeFields)],
  confirm: false,
  flash: (values) => `Creating the update circular for ${values.superevent_id}.`,
  build: (values, context) => {
    const types = UPDATE_TYPES.filter((type) => values[type]);
    return chain(
      queuedLog(values.superevent_id, `User ${context.user} queued an update circular (${types.join(', ')}) through the dashboard.`),
      createUpdateCircular.si(values.superevent_id, types),
    );
  },
});
