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
import { ActionRefusal, submitter, type ActionDeps, type OperatorAction, type Prepared } from './pipeline.js';
import { createGraceDb, type GraceDb } from '../gracedb/index.js';
import { bullPrefix } from '../redis/keys.js';

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

/** The GraceDB a form's look-ups read, one per Redis connection (the console's, or a terminal's). */
const lookupGraceDbs = new WeakMap<object, GraceDb>();

function lookupGraceDb(deps: ActionDeps): GraceDb {
  let gracedb = lookupGraceDbs.get(deps.redis);
  if (!gracedb) {
    const { domain } = deps.config;
    gracedb = createGraceDb({
      url: domain.gracedbUrl,
      token: domain.gracedbToken,
      basicAuth: domain.gracedbBasicAuth,
      redis: deps.redis,
      prefix: bullPrefix(deps.config),
      // An operator waits for this answer: two tries of at most 10 s each against a real GraceDB, not a task's patience.
      retry: { attempts: 2, timeoutMs: 10_000 },
    });
    lookupGraceDbs.set(deps.redis, gracedb);
  }
  return gracedb;
}

/**
 * The form's check, then its GraceDB look-ups (form.check): what GraceDB answers may refuse the request, per field,
 * before anything is queued.
 */
async function checkAndLookUp(form: OperatorForm, deps: ActionDeps, input: FormInput): Promise<Prepared<FormValues>> {
  const prepared = checkForm(form, input);
  if (!form.check) return prepared;
  const found = (await form.check(prepared.value, lookupGraceDb(deps))) ?? {};
  const problems = Object.fromEntries(Object.entries(found).filter((entry): entry is [string, string] => Boolean(entry[1])));
  if (Object.keys(problems).length) {
    const { [ASKED_BY]: _askedBy, [CHECKED]: _checked, ...raw } = input;
    throw new ActionRefusal('invalid', Object.values(problems).join(' '), raw, null, problems);
  }
  return prepared;
}

/** The action of one form. */
export function formAction(form: OperatorForm): OperatorAction<FormValues> {
  return {
    name: form.auditAction,
    title: form.title,
    forbidden: `submit "${form.title}"`,
    confirm: form.confirm,
    validate: (deps, input) => checkAndLookUp(form, deps, input),
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
