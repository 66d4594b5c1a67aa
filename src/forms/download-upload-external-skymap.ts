// Download/Upload External Sky Map: a worker fetches the sky map from an allow-listed URL (size and time limits, FITS checked) and uploads it to the external event.
import { getConfig } from '../config/index.js';
import { getUploadExternalSkymap, skymapUrlProblem } from '../tasks/external-skymaps.js';
import { defineForm } from './define-form.js';
import { refuseUnknownIds } from './gracedb-lookups.js';
import { externalEventField, text, type FormField } from './fields.js';

/**
 * The URL is checked against GWQUEUE_EXTERNAL_SKYMAP_HOSTS of the process that reads the form (the console, or the
 * terminal of `gwqueue chain`): a refused host is a field error and nothing is queued. The worker checks again.
 */
const skymapUrlField: FormField = {
  name: 'skymap_url',
  label: 'Sky map URL',
  // Not a real address: the console's page names no other origin.
  placeholder: 'https://…/skymap.fits',
  help: 'http(s) on an allow-listed host; a HEALPix FITS file (multi-order, or flat and possibly gzipped)',
  schema: text()
    .min(1, 'is required')
    .max(2000, 'must be at most 2000 characters')
    .superRefine((url, ctx) => {
      const problem = skymapUrlProblem(url, getConfig().domain.externalSkymapHosts);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
};

export const downloadUploadExternalSkymap = defineForm({
  name: 'download_upload_external_skymap',
  title: 'Download/Upload External Sky Map',
  description:
    'A worker downloads the sky map from the URL (allow-listed hosts, size and time limits, FITS checked) and uploads it to the external event.',
  button: 'Download and upload',
  fields: [externalEventField, skymapUrlField],
  confirm: true,
  flash: (values) => `Queued the sky map download for ${values.ext_id}.`,
  check: (values, gracedb) => refuseUnknownIds(gracedb, 'action', values, [['ext_id', 'event']]),
  build: (values) => getUploadExternalSkymap.signature([values.ext_id, values.skymap_url], {}, {}, true),
});
