// POST /<form>: the console's face of the form's action (actions/form-action.ts) run through the one pipeline; the outcome becomes a 303/202, the form again with its problems, a confirmation page, or a 403/422/503.
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { validationResult } from 'express-validator';
import type { OperatorForm } from '../../forms/registry.js';
import { CHECKED, formAction } from '../../actions/form-action.js';
import { parseClientKey } from '../../actions/idempotency.js';
import { runAction } from '../../actions/pipeline.js';
import type { WebContext } from '../context.js';
import { requestKey, webActionDeps, webActor } from '../action-route.js';
import { formValidationChain, onlyFields } from '../middleware/form-validation.js';
import { flash } from '../middleware/session.js';
import { HttpError, sendError, wantsJson } from '../middleware/errors.js';
import { renderHome } from './home.js';
import { sitePath } from '../middleware/url-prefix.js';

type FieldProblems = Record<string, string>;

/** A browser's form carries a one-time token; without a valid one it is an old or forged page (reported as this field). */
const TOKEN_FIELD = 'submission_token';

/** The operator's own text of the form's fields (strings only). */
function rawValues(req: Request, form: OperatorForm): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of form.fields) {
    const value = req.body?.[field.name];
    if (typeof value === 'string') out[field.name] = value;
  }
  return out;
}

/** What express-validator (and onlyFields before it) found: the form's own rules, the first problem of each field. */
function problemsOf(req: Request): FieldProblems {
  const problems: FieldProblems = { ...((req as Request & { fieldProblems?: FieldProblems }).fieldProblems ?? {}) };
  for (const error of validationResult(req).array()) {
    if (error.type === 'field' && !problems[error.path]) problems[error.path] = String(error.msg);
  }
  return problems;
}

export function submitForm(ctx: WebContext, form: OperatorForm): RequestHandler[] {
  const deps = webActionDeps(ctx);
  const action = formAction(form);
  const handler = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const actor = webActor(req);
      const api = actor.via === 'token';
      // An Idempotency-Key (any client) is the request's key; else a browser's form carries its one-time token (which
      // the confirmation page carries on, whichever of the two it was).
      const header = await requestKey(ctx, req, form.auditAction);
      const token: unknown = api ? undefined : req.body?.submission_token;
      const key = header ?? (typeof token === 'string' ? parseClientKey([token]).key : undefined);
      const problems = problemsOf(req);
      if (!api && !key) problems[TOKEN_FIELD] = 'is missing or not valid';
      const raw = rawValues(req, form);
      const outcome = await runAction(deps, action, {
        actor,
        entry: 'console',
        input: { ...raw, [CHECKED]: problems },
        confirmed: req.body?.confirmed === 'yes',
        idempotencyKey: key,
      });
      // The redirect's Location gets the URL prefix from middleware/url-prefix.ts; the JSON link is given whole.
      const url = outcome.taskId ? `/tasks/${outcome.taskId}` : null;
      switch (outcome.kind) {
        case 'done':
        case 'duplicate':
          if (wantsJson(req))
            return res.status(outcome.status).json({
              id: outcome.taskId,
              url: url && sitePath(req, url),
              ...(outcome.kind === 'duplicate' ? { duplicate: true } : {}),
              ...outcome.data,
            });
          flash(req, outcome.kind === 'done' ? 'success' : 'info', outcome.message);
          return res.redirect(303, url ?? '/');
        case 'confirm':
          // Without JavaScript: a page that posts the same form again, with confirmed=yes and the same token.
          return res.render('confirm', { title: `Confirm: ${form.title}`, form, fields: outcome.fields, submissionToken: key });
        case 'unauthorized':
          return sendError(
            req,
            res,
            403,
            'Not authorized',
            actor.user
              ? `${actor.user} is not allowed to submit "${form.title}". Ask an administrator to add you to the authorized users or groups. Nothing was submitted.`
              : `Submitting "${form.title}" needs an authenticated, authorized user. Nothing was submitted.`,
          );
        case 'invalid': {
          const { [TOKEN_FIELD]: expired, ...fields } = outcome.problems ?? {};
          if (!Object.keys(fields).length && expired)
            return sendError(req, res, 422, 'Form expired', 'This form has no valid submission token. Reload the page and submit again.');
          if (wantsJson(req)) return res.status(422).json({ error: 'invalid input', fields });
          const refill = Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, value.slice(0, 200)]));
          return renderHome(ctx, req, res, { errors: { [form.name]: fields }, values: { [form.name]: refill } }, 422);
        }
        default:
          throw new HttpError(outcome.status, outcome.message);
      }
    } catch (error) {
      next(error);
    }
  };
  return [onlyFields(form), ...formValidationChain(form), handler];
}
