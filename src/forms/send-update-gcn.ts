// Issue Update GCN Notice: log, send the UPDATE alert with the chosen sky map, em_bright and p_astro files.
import { updateAlertTask } from '../tasks/orchestrator.js';
import { chain } from '../queue/canvas.js';
import { queuedLog } from './chain-steps.js';
import { defineForm } from './define-form.js';
import { supereventField, versionedFileField } from './fields.js';
import { previewAlert } from '../tasks/alert-preview.js';

export const sendUpdateGcn = defineForm({
  name: 'send_update_gcn',
  title: 'Issue Update GCN Notice',
  description: 'Send an UPDATE alert with the chosen sky map, em_bright and p_astro files (name,version).',
  button: 'Send update alert',
  fields: [
    supereventField,
    versionedFileField('skymap_filename', 'bayestar.multiorder.fits,0', { label: 'Sky map', typeahead: '/typeahead_skymap_filename' }),
    versionedFileField('em_bright_filename', 'em_bright.json,0', { label: 'em_bright', typeahead: '/typeahead_em_bright_filename' }),
    versionedFileField('p_astro_filename', 'p_astro.json,0', { label: 'p_astro', typeahead: '/typeahead_p_astro_filename' }),
  ],
  confirm: true,
  preview: (values, gracedb, config) =>
    previewAlert(gracedb, config.domain, values.superevent_id, 'UPDATE', {
      files: { skymap: values.skymap_filename, em_bright: values.em_bright_filename, p_astro: values.p_astro_filename },
    }),
  flash: (values) => `Queued update alert for ${values.superevent_id}.`,
  build: (values, context) =>
    chain(
      queuedLog(values.superevent_id, `User ${context.user} queued an Update alert through the dashboard.`),
      updateAlertTask.si([values.skymap_filename, values.em_bright_filename, values.p_astro_filename], values.superevent_id),
    ),
});
