// GET /: the DANGER ZONE card, flash messages, one card per operator form, and the platform card.
import type { Request, Response } from 'express';
import { describeRedis } from '../../redis/connection.js';
import { OPERATOR_FORMS } from '../../forms/registry.js';
import { platformInfo } from '../platform.js';
import type { WebContext } from '../context.js';
import { gracedbBase } from '../gracedb/pages.js';
import { newSubmissionToken } from '../middleware/session.js';

export interface FormState {
  errors?: Record<string, Record<string, string>>;
  values?: Record<string, Record<string, string>>;
}

export function renderHome(ctx: WebContext, req: Request, res: Response, state: FormState = {}, status = 200): void {
  res.status(status).render('home', {
    title: 'gwqueue console',
    forms: OPERATOR_FORMS.map((form) => ({ ...form, token: newSubmissionToken() })),
    errors: state.errors ?? {},
    values: state.values ?? {},
    environment: {
      profile: ctx.config.profile,
      gracedb: ctx.gracedbLabel,
      // Infrastructure details are for admins: a viewer has no use for where Redis listens.
      redis: req.identity?.role === 'admin' ? describeRedis(ctx.config) : null,
      hostname: platformInfo().hostname,
    },
    platform: platformInfo(),
    // Where a typed or chosen superevent or event ID links to (the typeahead shows the link).
    gracedbBase: gracedbBase(ctx, req),
  });
}

export function home(ctx: WebContext) {
  return (req: Request, res: Response) => renderHome(ctx, req, res);
}
