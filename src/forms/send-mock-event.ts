// Mock event: upload a synthetic CBC event of a chosen search; once grouped, log who asked on its superevent (there was none before).
import { awaitSuperevent, MOCK_SEARCHES, uploadEvent } from '../tasks/first2years.js';
import { chain } from '../queue/canvas.js';
import { defineForm } from './define-form.js';
import { choiceField } from './fields.js';

const searchField = choiceField('search', MOCK_SEARCHES, 'MDC', {
  label: 'Search',
  help: `${MOCK_SEARCHES.join(', ')}; MDC (the default) makes an MS superevent, the others a production S one; EarlyWarning sends an early-warning alert`,
});

export const sendMockEvent = defineForm({
  name: 'send_mock_event',
  title: 'Mock event',
  description: 'Upload a synthetic compact binary coalescence event of the chosen search; it is grouped into a superevent.',
  button: 'Send mock event',
  fields: [searchField],
  confirm: true,
  flash: () => 'Queued a mock event.',
  build: (values, context) =>
    chain(
      uploadEvent.signature([], { search: values.search ?? 'MDC' }, {}, true),
      awaitSuperevent.s(`User ${context.user} queued a mock event through the dashboard.`),
    ),
});
