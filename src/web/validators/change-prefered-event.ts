// Validation of the Change Preferred Event form: a superevent ID and an event ID.
import { EVENT_ID, requiredField, SUPEREVENT_ID } from './common.js';

export const changePreferedEvent = [requiredField('superevent_id', SUPEREVENT_ID, 'S240101a'), requiredField('event_id', EVENT_ID, 'G123456')];
