// Mock event: upload a synthetic MDC CBC event; once grouped, log who asked on its superevent (there was none before).
import { awaitSuperevent, uploadEvent } from '../tasks/first2years.js';
import { chain } from '../queue/canvas.js';
import { defineForm } from './define-form.js';

export const sendMockEvent = defineForm({
  name: 'send_mock_event',
  title: 'Mock event',
  description: 'Upload a synthetic MDC compact binary coalescence event; it is grouped into a superevent.',
  button: 'Send mock event',
  fields: [],
  confirm: true,
  flash: () => 'Queued a mock event.',
  build: (_values, context) =>
    chain(uploadEvent.si(), awaitSuperevent.s(`User ${context.user} queued a mock event through the dashboard.`)),
});
