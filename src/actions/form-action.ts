// A console form as an operator action (`form.<name>`): its input schema checks, its GraceDB look-ups may refuse, its chain is what it does; the console's form, its JSON API and `gwqueue chain` run it.
import { OPERATOR_FORMS, queuedMessage, type FormValues, type OperatorForm } from '../forms/registry.js';
import { ActionRefusal, defineAction, submitter, type ActionDeps, type OperatorAction, type WebEntry } from './pipeline.js';
import { createGraceDb, type GraceDb } from '../gracedb/index.js';
import { bullPrefix } from '../redis/keys.js';

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

/** The one row docs/actions.md gives every form. */
export const FORM_DOC = {
  rule: 'the form\'s field rules (the same reason per field everywhere; `gwqueue chain` checks before it connects, exit 64); confirmation in a browser where the form asks for it; the one-time submission token (a browser without one: 422 "Form expired") or `Idempotency-Key`',
  audited: "the fields, `via` `console` or `cli`, and from the terminal `asked_by` (`-u`); the chain's task ID",
  also: '`gwqueue chain <name> field=value…` (`src/cli/chain.ts`)',
};

/** The action of one form, at `POST /<name>` (and its older names). */
export function formAction(form: OperatorForm): OperatorAction<FormValues, FormValues> & { form: OperatorForm } {
  const paths = [form.name, ...(form.aliases ?? [])];
  const web: WebEntry[] = paths.map((name) => ({ area: 'page', path: `/${name}`, entry: 'console', back: '/', flower: false }));
  return {
    ...defineAction({
      name: form.auditAction,
      title: form.title,
      forbidden: `submit "${form.title}"`,
      confirm: form.confirm,
      once: 'submission token | Idempotency-Key',
      input: form.input,
      // GraceDB's answers may refuse the request, per field, before anything is queued.
      async prepare(deps, values) {
        const found = form.check ? ((await form.check(values, lookupGraceDb(deps))) ?? {}) : {};
        const problems = Object.fromEntries(Object.entries(found).filter((entry): entry is [string, string] => Boolean(entry[1])));
        if (Object.keys(problems).length)
          throw new ActionRefusal('invalid', Object.values(problems).join(' '), { ...values }, null, problems);
        return { value: values, fields: { ...values }, description: form.description };
      },
      async act(deps, prepared, actor) {
        const canvas = form.build(prepared.value, { user: actor.askedBy ?? actor.user ?? 'anonymous', config: deps.config });
        const { id } = await deps.client.apply(canvas, { submittedBy: submitter(actor) });
        return { message: queuedMessage(form, prepared.value, id), taskId: id, enqueued: true };
      },
      duplicate: (_prepared, taskId) =>
        taskId
          ? `This form was already submitted (task ${taskId}); nothing was sent again.`
          : 'This form is already being submitted; nothing was sent again.',
      web,
      doc: FORM_DOC,
    }),
    ...(form.preview
      ? { preview: (deps: ActionDeps, prepared: { value: FormValues }) => form.preview!(prepared.value, lookupGraceDb(deps), deps.config) }
      : {}),
    form,
  };
}

/** The forms' actions, in the console's order (one per form, made once: the console and `gwqueue chain` share them). */
export const FORM_ACTIONS = OPERATOR_FORMS.map(formAction);

/** The action of a form by its path name, or by an older name it still answers to (change_prefered_event). */
export function formActionNamed(name: string): (typeof FORM_ACTIONS)[number] | undefined {
  return FORM_ACTIONS.find((action) => action.form.name === name) ?? FORM_ACTIONS.find((action) => action.form.aliases?.includes(name));
}
