// EM Advocate Sign-off: the advocate's OK or NO on a superevent; GraceDB applies ADVOK or ADVNO, and the orchestrator sends the INITIAL or the RETRACTION alert.
import { createSignoff } from '../tasks/gracedb.js';
import { previewAlert } from '../tasks/alert-preview.js';
import { chain } from '../queue/canvas.js';
import { queuedLog } from './chain-steps.js';
import { defineForm } from './define-form.js';
import { choiceField, supereventField, text, type FormField } from './fields.js';
import { lookUpSuperevent } from './gracedb-lookups.js';

const VERDICTS = ['OK', 'NO'] as const;

const statusField = choiceField('status', VERDICTS, undefined, {
  label: 'Verdict',
  help: 'OK sends the INITIAL alert, NO the RETRACTION',
});

const commentField: FormField = {
  name: 'comment',
  label: 'Comment',
  placeholder: 'why (optional)',
  schema: text().max(1000, 'must be at most 1000 characters').optional(),
};

export const advocateSignoff = defineForm({
  name: 'advocate_signoff',
  title: 'EM Advocate Sign-off',
  description:
    "Record the EM advocate's verdict on a superevent. OK applies ADVOK and sends the INITIAL alert; NO applies ADVNO and sends the RETRACTION.",
  button: 'Sign off',
  fields: [supereventField, statusField, commentField],
  confirm: true,
  flash: (values) => `Recorded the advocate's ${values.status} for ${values.superevent_id}.`,
  // A verdict before any alert would be recorded and then refused by the orchestrator: say so before anything is queued.
  async check(values, gracedb) {
    const found = await lookUpSuperevent(gracedb, 'action', values.superevent_id);
    if (!found.ok) return { superevent_id: found.problem };
    const sent = await gracedb.getVoevents(values.superevent_id);
    if (!sent.some((voevent) => voevent.voevent_type === 'PR' || voevent.voevent_type === 'EW'))
      return { superevent_id: `No sign-off recorded. ${values.superevent_id} has sent no preliminary alert yet.` };
    return undefined;
  },
  preview: (values, gracedb, config) =>
    previewAlert(gracedb, config.domain, values.superevent_id, values.status === 'OK' ? 'INITIAL' : 'RETRACTION'),
  build: (values, context) =>
    chain(
      queuedLog(values.superevent_id, `User ${context.user} queued an advocate sign-off (${values.status}) through the dashboard.`),
      createSignoff.si(values.superevent_id, values.status, values.comment ?? ''),
    ),
});
