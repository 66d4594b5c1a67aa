// Validation of the Issue Update GCN Notice form: a superevent ID and three name,version file fields.
import { requiredField, SUPEREVENT_ID, VERSIONED_FILENAME } from './common.js';

export const sendUpdateGcn = [
  requiredField('superevent_id', SUPEREVENT_ID, 'S240101a'),
  requiredField('skymap_filename', VERSIONED_FILENAME, 'bayestar.multiorder.fits,0', 120),
  requiredField('em_bright_filename', VERSIONED_FILENAME, 'em_bright.json,0', 120),
  requiredField('p_astro_filename', VERSIONED_FILENAME, 'p_astro.json,0', 120),
];
