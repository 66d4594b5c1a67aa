// The web face of the action pipeline, for every declared action (forms included): a request becomes an ActionRequest, the outcome one answer: a flash + 303, a confirmation page, the form again with its problems, or JSON of one shape.
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { parseClientKey } from '../actions/idempotency.js';
import { writeAudit } from '../audit/audit-log.js';
import {
  runAction,
  TOKEN_FIELD,
  type ActionDeps,
  type ActionOutcome,
  type Actor,
  type AnyAction,
  type WebEntry,
} from '../actions/pipeline.js';
import type { OperatorForm } from '../forms/registry.js';
import { actionDeps } from '../control/action-deps.js';
import type { WebContext } from './context.js';
import { HttpError, sendError, wantsJson } from './middleware/errors.js';
import { flash } from './middleware/session.js';
import { rootOf, sitePath, underPrefix } from './middleware/url-prefix.js';
import { renderHome } from './handlers/home.js';

const LOCAL_PATH = /^\/(?!\/)[A-Za-z0-9/_?=&%.:@+,~-]*$/;

/** What a browser's POST carries beside the action's input: the CSRF token, a form's one-time token, the confirmation, the page to go back to. */
const TRANSPORT_FIELDS: ReadonlySet<string> = new Set(['_csrf', TOKEN_FIELD, 'confirmed', 'back']);

/** Where to go afterwards: the page the form was on (a local path), else the default. */
function backTo(req: Request, fallback: string): string {
  const back = typeof req.body?.back === 'string' ? req.body.back : '';
  return LOCAL_PATH.test(back) ? back : fallback;
}

export const webActionDeps = (ctx: WebContext): ActionDeps => actionDeps(ctx.client, ctx.config, ctx.redis);

function webActor(req: Request): Actor {
  const { user, address, authorized, role, via } = req.identity;
  return { user, address, authorized, role, via: via === 'token' ? 'token' : 'browser' };
}

/**
 * The request's Idempotency-Key, from any client (API token or browser session), or undefined without one. A malformed
 * one is refused with 400 naming the header and why (audited as rejected, `action`: the action's audit name): going on
 * without it would make a retry of the request a second request.
 */
async function requestKey(ctx: WebContext, req: Request, action: string): Promise<string | undefined> {
  const { key, problem } = parseClientKey(req.headersDistinct['idempotency-key']);
  if (!problem) return key;
  const message = `Idempotency-Key ${problem}. Nothing was done.`;
  await writeAudit(ctx.redis, ctx.config, {
    user: req.identity.user ?? 'anonymous',
    address: req.identity.address,
    action,
    fields: {},
    taskId: null,
    outcome: 'rejected',
    detail: message,
  }).catch(() => {});
  throw new HttpError(400, message, {}, { field: 'Idempotency-Key' });
}

/** The action's input: the body's fields (but what the browser adds) and the route's parameters, which win. */
function inputOf(req: Request): Record<string, unknown> {
  const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
  const fields = Object.fromEntries(Object.entries(body).filter(([name]) => !TRANSPORT_FIELDS.has(name)));
  return { ...fields, ...req.params };
}

/** A request whose Accept header prefers HTML to JSON (any type, or no header, does not): a token client may ask for the 303. */
const asksForHtml = (req: Request) => req.get('accept') !== undefined && req.accepts(['json', 'html']) === 'html';

/**
 * An API client (token, or asking for JSON) has no page to confirm on: its request is its confirmation. A token is
 * answered in JSON unless it asks for HTML alone, as a browser would (then a redirect to the task's page).
 */
const answersJson = (req: Request) => (req.identity.via === 'token' && !asksForHtml(req)) || wantsJson(req);

/** Where a browser goes when nothing was queued: the page it came from, else the entry's own (`:name` filled in). */
function fallbackOf(req: Request, web: WebEntry, base: string): string {
  const path = web.back.replace(/:(\w+)/g, (_match, name: string) => encodeURIComponent(String(req.params[name] ?? '')));
  return backTo(req, web.area === 'dashboard' ? `${base}${path}` : path);
}

/**
 * The one renderer of an outcome. JSON, for every action: `{ok, message, id?, url?, duplicate?, …data}` when done,
 * `{ok: false, error, status, fields?}` when not. A browser: a flash and a 303 (to the new task's page, or back), a
 * confirmation page, a form shown again with its problems, or the error page.
 */
function render(
  req: Request,
  res: Response,
  ctx: WebContext,
  outcome: ActionOutcome,
  action: AnyAction & { form?: OperatorForm },
  back: string,
  key?: string,
): void {
  const url = outcome.enqueued && outcome.taskId ? `/tasks/${outcome.taskId}` : undefined;
  const json = answersJson(req);
  if (outcome.kind === 'confirm') {
    const preview = outcome.data.preview;
    if (json) {
      // A page's dialog asks what it is to confirm (and the alert it would send) before it asks the operator.
      res.json({ ok: true, confirm: true, title: action.title, description: outcome.description, fields: outcome.fields, preview });
      return;
    }
    if (action.form) {
      // The same form again, with confirmed=yes and the same token.
      res.render('confirm', {
        title: `Confirm: ${action.title}`,
        form: action.form,
        fields: outcome.fields,
        submissionToken: key,
        preview,
      });
      return;
    }
    const hidden = Object.fromEntries(
      Object.entries(req.body ?? {}).filter(([name, value]) => name !== '_csrf' && name !== 'confirmed' && typeof value === 'string'),
    );
    res.render('flower/confirm', {
      title: `Confirm: ${action.title}`,
      spec: { title: action.title },
      prepared: { description: outcome.description, fields: outcome.fields },
      action: req.originalUrl,
      hidden,
      back: underPrefix(rootOf(req), back),
    });
    return;
  }
  if (outcome.ok) {
    if (json) {
      res.status(outcome.status).json({
        ok: true,
        message: outcome.message,
        ...(outcome.kind === 'duplicate' ? { duplicate: true } : {}),
        ...(url ? { id: outcome.taskId, url: sitePath(req, url) } : {}),
        ...outcome.data,
      });
      return;
    }
    flash(req, outcome.kind === 'duplicate' ? 'info' : 'success', outcome.message);
    res.redirect(303, url ?? back);
    return;
  }
  const { [TOKEN_FIELD]: expired, ...problems } = outcome.problems ?? {};
  if (outcome.kind === 'invalid' && expired && !Object.keys(problems).length)
    return sendError(req, res, 422, 'Form expired', 'This form has no valid submission token. Reload the page and submit again.', {
      ok: false,
    });
  if (outcome.kind === 'invalid' && action.form && !json && Object.keys(problems).length) {
    const form = action.form;
    const refill = Object.fromEntries(
      form.fields.flatMap((field) =>
        typeof req.body?.[field.name] === 'string' ? [[field.name, String(req.body[field.name]).slice(0, 200)]] : [],
      ),
    );
    return renderHome(ctx, req, res, { errors: { [form.name]: problems }, values: { [form.name]: refill } }, 422);
  }
  const title = outcome.kind === 'unauthorized' ? 'Not authorized' : outcome.kind === 'not-found' ? 'Not found' : 'Request refused';
  sendError(req, res, outcome.status, title, outcome.message, {
    ok: false,
    ...(Object.keys(problems).length ? { fields: problems } : {}),
    ...(outcome.kind === 'conflict' ? outcome.data : {}),
  });
}

/** The POST route of one of an action's web entries. `base`: the dashboard's base path (for its own pages). */
export function actionRoute(ctx: WebContext, action: AnyAction & { form?: OperatorForm }, web: WebEntry, base: string): RequestHandler {
  const deps = webActionDeps(ctx);
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const actor = webActor(req);
      // An Idempotency-Key (any client) is the request's key; else a browser's form carries its one-time token (which
      // the confirmation page carries on). The other actions need no key (a retry claims its own: the retried task's
      // ID), but one that is sent is honoured: a repeat is answered as a duplicate of the first.
      const header = await requestKey(ctx, req, action.name);
      const token: unknown = action.form && actor.via === 'browser' ? req.body?.[TOKEN_FIELD] : undefined;
      const key = header ?? (typeof token === 'string' ? parseClientKey([token]).key : undefined);
      const outcome = await runAction(deps, action, {
        actor,
        entry: web.entry,
        input: inputOf(req),
        confirmed: req.body?.confirmed === 'yes' || (!action.form && answersJson(req)),
        idempotencyKey: key,
      });
      render(req, res, ctx, outcome, action, fallbackOf(req, web, base), key);
    } catch (error) {
      next(error);
    }
  };
}
