// The operator forms, in the console's order: the list every entry point reads (routes, cards, `gwqueue chain`, audit, docs).
import type { OperatorForm } from './define-form.js';
import { sendPreliminaryGcn } from './send-preliminary-gcn.js';
import { sendUpdateGcn } from './send-update-gcn.js';
import { createUpdateGcnCircular } from './create-update-gcn-circular.js';
import { createMediumLatencyGcnCircular } from './create-medium-latency-gcn-circular.js';
import { changePreferredEvent } from './change-preferred-event.js';
import { changePipelinePreferredEvent } from './change-pipeline-preferred-event.js';
import { applyRavenLabels } from './apply-raven-labels.js';
import { sendMockEvent } from './send-mock-event.js';
import { sendMockJointEvent } from './send-mock-joint-event.js';
import { copySkyMapBetweenEvents } from './copy-sky-map-between-events.js';
import { createSkymapWithDisabledDetectors } from './create-skymap-with-disabled-detectors.js';
import { downloadUploadExternalSkymap } from './download-upload-external-skymap.js';
import { advocateSignoff } from './advocate-signoff.js';

export type { ChainContext, FormValues, OperatorForm } from './define-form.js';
export { queuedMessage } from './define-form.js';

export const OPERATOR_FORMS: readonly OperatorForm[] = [
  sendPreliminaryGcn,
  sendUpdateGcn,
  createUpdateGcnCircular,
  createMediumLatencyGcnCircular,
  changePreferredEvent,
  changePipelinePreferredEvent,
  applyRavenLabels,
  sendMockEvent,
  sendMockJointEvent,
  downloadUploadExternalSkymap,
  createSkymapWithDisabledDetectors,
  copySkyMapBetweenEvents,
  advocateSignoff,
];

export const FORM_NAMES: readonly string[] = OPERATOR_FORMS.map((form) => form.name);

/** A form by its path name, or by an older name it still answers to (change_prefered_event). */
export function findForm(name: string): OperatorForm | undefined {
  return OPERATOR_FORMS.find((form) => form.name === name) ?? OPERATOR_FORMS.find((form) => form.aliases?.includes(name));
}
