// Validation of the Designate External Coincidence form: superevent, external event and GW event IDs.
import { EVENT_ID, requiredField, SUPEREVENT_ID } from './common.js';

export const applyRavenLabels = [
  requiredField('superevent_id', SUPEREVENT_ID, 'S240101a'),
  requiredField('ext_id', /^E\d+$/, 'E123456'),
  requiredField('event_id', EVENT_ID, 'G123456'),
];
