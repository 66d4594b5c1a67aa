// A console form as an operator action (`form.<name>`): its field rules validate, its chain is what it does; the console's form, its JSON API and `gwqueue chain` run it.
import {
  describeProblems,
  formValues,
  queuedMessage,
  validateForm,
  type FieldValidation,
  type FormValues,
  type OperatorForm,
} from '../forms/registry.js';
import { ActionRefusal, submitter, type OperatorAction, type Prepared } from './pipeline.js';

/**
 * Where an entry point that has checked the input itself puts the problems it found: the console, whose
 * express-validator chain is built from the same rules (and also checks the body's shape and the submission token).
 * The form's check then takes them instead of checking again. A symbol, so that audit entries record the fields only.
 */
export const CHECKED = Symbol('problems the entry point found');

/** What an entry point hands a form action: the raw field values; `asked_by` from `gwqueue chain -u`. */
export type FormInput = Record<string, unknown> & { [CHECKED]?: Record<string, string> };

/** Who asked, when not the one who acts (`gwqueue chain -u NAME`): written into the chain's log message and audited. */
const ASKED_BY = 'asked_by';

/**
 * The form's check of an input, without Redis: the valid values, or ActionRefusal('invalid') with a problem per field.
 * `gwqueue chain` calls it before it connects (bad input changes nothing); the pipeline calls it as the action's validate.
 */
export function checkForm(form: OperatorForm, input: FormInput): Prepared<FormValues> {
  const { [ASKED_BY]: askedBy, ...raw } = input;
  const found = input[CHECKED];
  const checked: FieldValidation = !found
    ? validateForm(form, raw)
    : Object.keys(found).length
      ? { ok: false, errors: found }
      : { ok: true, fields: formValues(form, raw) };
  if (!checked.ok) throw new ActionRefusal('invalid', describeProblems(checked.errors), raw, null, checked.errors);
  return {
    value: checked.fields,
    fields: typeof askedBy === 'string' ? { ...checked.fields, [ASKED_BY]: askedBy } : checked.fields,
    description: form.description,
  };
}

/** The action of one form. */
export function formAction(form: OperatorForm): OperatorAction<FormValues> {
  return {
    name: form.auditAction,
    title: form.title,
    forbidden: `submit "${form.title}"`,
    confirm: form.confirm,
    validate: async (_deps, input) => checkForm(form, input),
    async act(deps, prepared, actor) {
      const askedBy = prepared.fields[ASKED_BY];
      const user = typeof askedBy === 'string' ? askedBy : (actor.user ?? 'anonymous');
      const canvas = form.build(prepared.value, { user, config: deps.config });
      const { id } = await deps.client.apply(canvas, { submittedBy: submitter(actor) });
      return { message: queuedMessage(form, prepared.value, id), taskId: id, enqueued: true };
    },
    duplicate: (_prepared, taskId) =>
      taskId
        ? `This form was already submitted (task ${taskId}); nothing was sent again.`
        : 'This form is already being submitted; nothing was sent again.',
  };
}
