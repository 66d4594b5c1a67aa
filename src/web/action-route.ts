// The web face of the action pipeline: a request becomes an ActionRequest, the outcome a flash + 303, a confirmation page or JSON; refusals go to the one error handler.
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { parseClientKey } from '../actions/idempotency.js';
import { writeAudit } from '../audit/audit-log.js';
import { runAction, type ActionDeps, type ActionOutcome, type Actor, type OperatorAction } from '../actions/pipeline.js';
import { TaskIndex } from '../task-index/task-index.js';
import { sendControl } from '../control/control-client.js';
import type { WebContext } from './context.js';
import { HttpError, wantsJson } from './middleware/errors.js';
import { flash } from './middleware/session.js';
import { rootOf, sitePath, underPrefix } from './middleware/url-prefix.js';

const LOCAL_PATH = /^\/(?!\/)[A-Za-z0-9/_?=&%.:@+,~-]*$/;

/** Where to go afterwards: the page the form was on (a local path), else the default. */
export function backTo(req: Request, fallback: string): string {
  const back = typeof req.body?.back === 'string' ? req.body.back : '';
  return LOCAL_PATH.test(back) ? back : fallback;
}

export function webActionDeps(ctx: WebContext): ActionDeps {
  return {
    client: ctx.client,
    config: ctx.config,
    redis: ctx.redis,
    taskIndex: new TaskIndex(ctx.redis, ctx.config),
    control: { send: (options) => sendControl(ctx.redis, ctx.config, options) },
  };
}

export function webActor(req: Request): Actor {
  const { user, address, authorized, role, via } = req.identity;
  return { user, address, authorized, role, via: via === 'token' ? 'token' : 'browser' };
}

export interface RouteOptions {
  /** Recorded in the audit entry as `via`. */
  entry: string;
  /** The action's input from the request (route parameters, body fields). */
  input(req: Request): Record<string, unknown>;
  /** Where a browser goes after an action that queued nothing (one that queued a task goes to its page). */
  redirect(req: Request): string;
  /** The confirmation page (rendered with title, spec, prepared, action, hidden, back). */
  confirmView?: string;
}

/**
 * The request's Idempotency-Key, from any client (API token or browser session), or undefined without one. A malformed
 * one is refused with 400 naming the header and why (audited as rejected, `action`: the action's audit name): going on
 * without it would make a retry of the request a second request.
 */
export async function requestKey(ctx: WebContext, req: Request, action: string): Promise<string | undefined> {
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

/** An API client (token, or asking for JSON) has no page to confirm on: its request is its confirmation. */
const answersJson = (req: Request) => req.identity.via === 'token' || wantsJson(req);

function render(req: Request, res: Response, outcome: ActionOutcome, options: RouteOptions, title: string): void {
  const url = outcome.enqueued && outcome.taskId ? `/tasks/${outcome.taskId}` : undefined;
  if (outcome.kind === 'confirm') {
    const hidden = Object.fromEntries(
      Object.entries(req.body ?? {}).filter(([key, value]) => key !== '_csrf' && key !== 'confirmed' && typeof value === 'string'),
    );
    res.render(options.confirmView ?? 'flower/confirm', {
      title: `Confirm: ${title}`,
      spec: { title },
      prepared: { description: outcome.description, fields: outcome.fields },
      action: req.originalUrl,
      hidden,
      back: underPrefix(rootOf(req), backTo(req, options.redirect(req))),
    });
    return;
  }
  if (!outcome.ok) throw new HttpError(outcome.status, outcome.message);
  if (answersJson(req)) {
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
  res.redirect(303, url ?? options.redirect(req));
}

/** A POST route that runs one action. */
export function actionRoute<T>(ctx: WebContext, action: OperatorAction<T>, options: RouteOptions): RequestHandler {
  const deps = webActionDeps(ctx);
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      // The non-form actions need no key from the client (a retry claims its own: the retried task's ID), but one that
      // is sent is honoured: a repeat is answered as a duplicate of the first.
      const outcome = await runAction(deps, action, {
        actor: webActor(req),
        entry: options.entry,
        input: options.input(req),
        confirmed: req.body?.confirmed === 'yes' || answersJson(req),
        idempotencyKey: await requestKey(ctx, req, action.name),
      });
      render(req, res, outcome, options, action.title);
    } catch (error) {
      next(error);
    }
  };
}
