// Download/Upload External Sky Map: a worker fetches the sky map from an allow-listed URL (size and time limits, FITS checked) and uploads it to the external event.
import { getConfig } from '../config/index.js';
import { getUploadExternalSkymap, skymapUrlProblem } from '../tasks/external-skymaps.js';
import { defineForm } from './define-form.js';
import { refuseUnknownIds } from './gracedb-lookups.js';
import { externalEventField, type FormField } from './fields.js';

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
  problem(raw) {
    if (!raw) return 'is required';
    if (typeof raw !== 'string') return 'must be given once, as text';
    const text = raw.trim();
    if (!text) return 'is required';
    if (text.length > 2000) return 'must be at most 2000 characters';
    return skymapUrlProblem(text, getConfig().domain.externalSkymapHosts);
  },
  value: (raw) => (typeof raw === 'string' ? raw.trim() : undefined),
};

export const downloadUploadExternalSkymap = defineForm({
  name: 'download_upload_external_skymap',
  title: 'Download/Upload External Sky Map',
  description:
    'A worker downloads the sky map from the URL (allow-listed hosts, size and time limits, FITS checked) and uploads it to the external event.',
  button: 'Download and upload',
  fields: [externalEventField, skymapUrlField],
  confirm: true,
  queued: 'external sky map download',
  check: (values, gracedb) => refuseUnknownIds(gracedb, 'action', values, [['ext_id', 'event']]),
  build: (values) => getUploadExternalSkymap.signature([values.ext_id, values.skymap_url], {}, {}, true),
});
