// Validation of the Create Update GCN Circular form: a superevent ID and at least one update type.
import { body } from 'express-validator';
import { checkboxField, requiredField, SUPEREVENT_ID } from './common.js';

export const UPDATE_TYPES = ['sky_localization', 'em_bright', 'p_astro'] as const;

export const createUpdateGcnCircular = [
  requiredField('superevent_id', SUPEREVENT_ID, 'S240101a'),
  ...UPDATE_TYPES.map(checkboxField),
  body('sky_localization').custom((_value, { req }) => {
    if (!UPDATE_TYPES.some((type) => req.body?.[type] !== undefined)) throw new Error('choose at least one of sky localization, em_bright, p_astro');
    return true;
  }),
];
