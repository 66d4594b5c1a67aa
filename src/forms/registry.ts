// The operator forms, in the console's order: the list every entry point reads (routes, cards, `gwqueue chain`, audit, docs).
import { ACTION_NAMES } from '../audit/vocabulary.js';
import type { OperatorForm } from './define-form.js';
import { sendPreliminaryGcn } from './send-preliminary-gcn.js';
import { sendUpdateGcn } from './send-update-gcn.js';
import { createUpdateGcnCircular } from './create-update-gcn-circular.js';
import { changePreferedEvent } from './change-prefered-event.js';
import { applyRavenLabels } from './apply-raven-labels.js';
import { sendMockEvent } from './send-mock-event.js';
import { sendMockJointEvent } from './send-mock-joint-event.js';

export type { ChainContext, FieldValidation, FormValues, OperatorForm } from './define-form.js';
export { describeProblems, formValues, queuedMessage, validateForm } from './define-form.js';

export const OPERATOR_FORMS: readonly OperatorForm[] = [
  sendPreliminaryGcn,
  sendUpdateGcn,
  createUpdateGcnCircular,
  changePreferedEvent,
  applyRavenLabels,
  sendMockEvent,
  sendMockJointEvent,
];

export const FORM_NAMES: readonly string[] = OPERATOR_FORMS.map((form) => form.name);

export function findForm(name: string): OperatorForm | undefined {
  return OPERATOR_FORMS.find((form) => form.name === name);
}

/** Every action name the audit log may hold, for its filter: the forms' (with their titles), then the other actions'. */
export function auditActionNames(): { action: string; title: string }[] {
  return [
    ...OPERATOR_FORMS.map((form) => ({ action: form.auditAction, title: form.title })),
    ...Object.values(ACTION_NAMES).map((action) => ({ action, title: action })),
  ];
}
