// POST /<form>: authorize → validate → confirm → claim the submission token → enqueue the chain → audit → 303/202.
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { validationResult } from 'express-validator';
import { writeAudit, type AuditOutcome } from '../../audit/audit-log.js';
import { describeProblems, formValues, queuedMessage, type OperatorForm } from '../../forms/registry.js';
import type { WebContext } from '../context.js';
import { formValidationChain, onlyFields } from '../middleware/form-validation.js';
import { claimToken, recordToken, releaseToken, TOKEN_PATTERN } from '../submission-tokens.js';
import { flash } from '../middleware/session.js';
import { isRedisDown, sendError, wantsJson } from '../middleware/errors.js';
import { renderHome, newSubmissionToken } from './home.js';
import { logger } from '../../log/logger.js';

type FieldProblems = Record<string, string>;

/** The operator's own text, kept to refill the form (strings only, cut to a sane length). */
function rawValues(req: Request, form: OperatorForm): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of form.fields) {
    const value = req.body?.[field.name];
    if (typeof value === 'string') out[field.name] = value.slice(0, 200);
  }
  return out;
}

function problemsOf(req: Request): FieldProblems {
  const problems: FieldProblems = { ...((req as Request & { fieldProblems?: FieldProblems }).fieldProblems ?? {}) };
  for (const error of validationResult(req).array()) {
    if (error.type === 'field' && !problems[error.path]) problems[error.path] = String(error.msg);
  }
  return problems;
}

export function submitForm(ctx: WebContext, form: OperatorForm): RequestHandler[] {
  const handler = async (req: Request, res: Response, next: NextFunction) => {
    const id = req.identity;
    const user = id.user ?? 'anonymous';
    const audit = (outcome: AuditOutcome, detail: string, fields: Record<string, unknown>, taskId: string | null = null) =>
      writeAudit(ctx.redis, ctx.config, { user, address: id.address, action: form.auditAction, fields, taskId, outcome, detail });
    const api = id.via === 'token';
    try {
      if (!id.authorized) {
        await audit(
          'unauthorized',
          id.user ? `user ${id.user} is not authorized to submit` : 'no authenticated user',
          rawValues(req, form),
        );
        return sendError(
          req,
          res,
          403,
          'Not authorized',
          id.user
            ? `${id.user} is not allowed to submit "${form.title}". Ask an administrator to add you to the authorized users or groups. Nothing was submitted.`
            : `Submitting "${form.title}" needs an authenticated, authorized user. Nothing was submitted.`,
        );
      }
      const problems = problemsOf(req);
      if (Object.keys(problems).length) {
        await audit('rejected', describeProblems(problems), rawValues(req, form));
        if (wantsJson(req)) return res.status(422).json({ error: 'invalid input', fields: problems });
        return renderHome(ctx, req, res, { errors: { [form.name]: problems }, values: { [form.name]: rawValues(req, form) } }, 422);
      }
      const fields = formValues(form, req.body ?? {});

      if (!api && form.confirm && req.body?.confirmed !== 'yes') {
        return res.render('confirm', {
          title: `Confirm: ${form.title}`,
          form,
          fields,
          submissionToken: req.body?.submission_token ?? newSubmissionToken(),
        });
      }
      const token = api ? req.get('idempotency-key') : req.body?.submission_token;
      if (!api && (typeof token !== 'string' || !TOKEN_PATTERN.test(token))) {
        await audit('rejected', 'missing submission token', fields);
        return sendError(req, res, 422, 'Form expired', 'This form has no valid submission token. Reload the page and submit again.');
      }
      if (typeof token === 'string' && TOKEN_PATTERN.test(token)) {
        const claim = await claimToken(ctx.redis, ctx.config, token);
        if (!claim.fresh) {
          await audit(
            'duplicate',
            claim.taskId ? `already submitted as task ${claim.taskId}` : 'already being submitted',
            fields,
            claim.taskId,
          );
          if (wantsJson(req))
            return res.status(200).json({ id: claim.taskId, url: claim.taskId ? `/tasks/${claim.taskId}` : null, duplicate: true });
          flash(
            req,
            'info',
            claim.taskId
              ? `This form was already submitted (task ${claim.taskId}); nothing was sent again.`
              : 'This form is already being submitted; nothing was sent again.',
          );
          return res.redirect(303, claim.taskId ? `/tasks/${claim.taskId}` : '/');
        }
      }
      let taskId: string;
      try {
        const canvas = form.build(fields, { user, config: ctx.config });
        taskId = (await ctx.client.apply(canvas, { submittedBy: user })).id;
      } catch (error) {
        if (typeof token === 'string') await releaseToken(ctx.redis, ctx.config, token);
        await audit('unavailable', (error as Error).message, fields).catch(() => {});
        throw error;
      }
      // The chain is queued. If Redis goes away now, the 503 page ("nothing was submitted") would be a lie, and the
      // operator's second try would send the alert twice: answer 303/202 anyway, and log the lost audit entry.
      try {
        if (typeof token === 'string' && TOKEN_PATTERN.test(token)) await recordToken(ctx.redis, ctx.config, token, taskId);
        await audit('accepted', `queued ${form.name}`, fields, taskId);
      } catch (error) {
        if (!isRedisDown(error)) throw error;
        logger('web').warn(
          { form: form.name, taskId, user, err: { message: (error as Error).message } },
          'task queued, but Redis went away before its audit entry was written',
        );
      }
      const url = `/tasks/${taskId}`;
      if (wantsJson(req)) return res.status(202).json({ id: taskId, url });
      flash(req, 'success', queuedMessage(form, fields, taskId));
      return res.redirect(303, url);
    } catch (error) {
      next(error);
    }
  };
  return [onlyFields(form), ...formValidationChain(form), handler];
}
