// Issue Update GCN Notice: log, send the UPDATE alert with the chosen sky map, em_bright and p_astro files.
import { updateAlertTask } from '../tasks/orchestrator.js';
import { exactFilename } from '../tasks/superevent-files.js';
import { chain } from '../queue/canvas.js';
import { queuedLog } from './chain-steps.js';
import { defineForm } from './define-form.js';
import { previewAlert } from '../tasks/alert-preview.js';
import { fileField, supereventField } from './fields.js';
import { lookUpFiles } from './gracedb-lookups.js';

// A name alone stands for its latest version; the task resolves it when it sends, so the alert names the version it carries.
const HELP = 'name,version, or the name alone for its latest version on the superevent when the alert is sent';

const fileFields = [
  fileField('skymap_filename', 'bayestar.multiorder.fits', { label: 'Sky map', typeahead: '/typeahead_skymap_filename', help: HELP }),
  fileField('em_bright_filename', 'em_bright.json', { label: 'em_bright', typeahead: '/typeahead_em_bright_filename', help: HELP }),
  fileField('p_astro_filename', 'p_astro.json', { label: 'p_astro', typeahead: '/typeahead_p_astro_filename', help: HELP }),
];

export const sendUpdateGcn = defineForm({
  name: 'send_update_gcn',
  title: 'Issue Update GCN Notice',
  description:
    'Send an UPDATE alert with the chosen sky map, em_bright and p_astro files (name,version, or name alone for its latest version).',
  button: 'Send update alert',
  fields: [supereventField, ...fileFields],
  confirm: true,
  preview: (values, gracedb, config) =>
    previewAlert(gracedb, config.domain, values.superevent_id, 'UPDATE', {
      files: { skymap: values.skymap_filename, em_bright: values.em_bright_filename, p_astro: values.p_astro_filename },
    }),
  flash: (values) => `Queued update alert for ${values.superevent_id}.`,
  // Every file must be on the superevent now: a name it lacks (a typo, a file not uploaded yet) is refused before queuing.
  async check(values, gracedb) {
    const files = await lookUpFiles(gracedb, 'action', values.superevent_id);
    if (!files.ok) return { superevent_id: files.problem };
    const problems = Object.fromEntries(
      fileFields
        .filter((field) => exactFilename(files.record, values[field.name]) === undefined)
        .map((field) => [field.name, `${values.superevent_id} has no file ${values[field.name]}`]),
    );
    return Object.keys(problems).length ? problems : undefined;
  },
  build: (values, context) =>
    chain(
      queuedLog(values.superevent_id, `User ${context.user} queued an Update alert through the dashboard.`),
      updateAlertTask.si([values.skymap_filename, values.em_bright_filename, values.p_astro_filename], values.superevent_id),
    ),
});
