// GET /audit: every submission and control action, newest first, filtered by user and action, paginated.
import type { Request, Response, NextFunction } from 'express';
import { listAudit } from '../../audit/audit-log.js';
import type { WebContext } from '../context.js';
import { auditActionNames } from '../../actions/registry.js';
import { FORM_ACTIONS } from '../../actions/form-action.js';

const STREAM_ID = /^\d{1,15}-\d{1,6}$/;

/**
 * An entry's fields as the page lists them, one `name: value` line each: a text as it is, anything else as JSON with
 * a space after each comma and colon, so that a line wraps between values and not in the middle of a word.
 */
export function fieldLines(fields: Record<string, unknown>): { name: string; value: string }[] {
  return Object.entries(fields).map(([name, value]) => ({
    name,
    value: typeof value === 'string' ? value : (JSON.stringify(value, null, 1) ?? String(value)).replace(/\n\s*/g, ' '),
  }));
}

export function auditPage(ctx: WebContext) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const text = (name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string).trim().slice(0, 200) : '');
      const user = text('user');
      const action = text('form');
      const before = STREAM_ID.test(text('before')) ? text('before') : undefined;
      const page = await listAudit(ctx.redis, ctx.config, { user: user || undefined, action: action || undefined, before, limit: 50 });
      if (req.accepts(['html', 'json']) === 'json') return res.json(page);
      res.render('audit', {
        title: 'Audit log',
        entries: page.entries.map((entry) => ({ ...entry, fieldLines: fieldLines(entry.fields) })),
        next: page.next,
        filter: { user, form: action },
        actions: auditActionNames(FORM_ACTIONS),
      });
    } catch (error) {
      next(error);
    }
  };
}
