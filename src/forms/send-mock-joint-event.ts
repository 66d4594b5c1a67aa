// Mock joint event: the mock event, then a mock Fermi GRB added to its superevent a few seconds later.
import { getConfig } from '../config/index.js';
import { awaitSuperevent, uploadEvent } from '../tasks/first2years.js';
import { uploadExternalEvent } from '../tasks/first2years-external.js';
import { chain } from '../queue/canvas.js';
import { defineForm } from './define-form.js';

export const sendMockJointEvent = defineForm({
  name: 'send_mock_joint_event',
  title: 'Mock joint event',
  description: 'A mock event, then a synthetic Fermi GRB a few seconds later.',
  button: 'Send mock joint event',
  fields: [],
  confirm: true,
  flash: () => 'Queued a mock joint event.',
  build: (_values, context) =>
    chain(
      uploadEvent.si(),
      awaitSuperevent.s(`User ${context.user} queued a mock joint event through the dashboard.`),
      uploadExternalEvent.signature([], {}, { countdown: (context.config ?? getConfig()).domain.mockJointDelaySeconds }),
    ),
});
