// One validation chain per operator form, by form name; the mock-event forms have no fields.
import type { ValidationChain } from 'express-validator';
import { applyRavenLabels } from './apply-raven-labels.js';
import { changePreferedEvent } from './change-prefered-event.js';
import { createUpdateGcnCircular } from './create-update-gcn-circular.js';
import { sendPreliminaryGcn } from './send-preliminary-gcn.js';
import { sendUpdateGcn } from './send-update-gcn.js';

export const FORM_VALIDATORS: Record<string, ValidationChain[]> = {
  send_preliminary_gcn: sendPreliminaryGcn,
  send_update_gcn: sendUpdateGcn,
  create_update_gcn_circular: createUpdateGcnCircular,
  change_prefered_event: changePreferedEvent,
  apply_raven_labels: applyRavenLabels,
  send_mock_event: [],
  send_mock_joint_event: [],
};
