// GWQUEUE_URL_PREFIX: the console served under a path (GWCelery's FLASK_APP_PREFIX), as a proxy's SCRIPT_NAME would be.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendError } from './errors.js';

/** The console's URL prefix ('' or e.g. '/gwcelery') that links in pages and JSON begin with. */
export function rootOf(req: Request): string {
  return (req.app.locals.root as string | undefined) ?? '';
}

/** `path` (from the console's root, e.g. `/tasks/ID`) as a browser must ask for it. */
export function sitePath(req: Request, path: string): string {
  return rootOf(req) + path;
}

/** A root-relative Location under the prefix; one already under it, another site's or a relative one is left alone. */
export function underPrefix(root: string, location: string): string {
  if (!root || !location.startsWith('/') || location.startsWith('//')) return location;
  if (location === root || location.startsWith(`${root}/`) || location.startsWith(`${root}?`)) return location;
  return root + location;
}

/**
 * With a prefix, a request under it is handed on with the prefix taken off its URL (req.originalUrl keeps it), so
 * every route, handler and check sees the paths it always saw; a request outside it is a 404. Every Location the
 * app sends (redirects after a form, a control, a retry) is put back under the prefix. Without one it does nothing.
 */
export function urlPrefix(root: string): RequestHandler {
  if (!root) return (_req, _res, next) => next();
  return (req: Request, res: Response, next: NextFunction) => {
    const location = res.location.bind(res);
    res.location = (url: string) => location(underPrefix(root, url));
    const url = req.url;
    if (url === root || url.startsWith(`${root}/`) || url.startsWith(`${root}?`)) {
      const rest = url.slice(root.length);
      req.url = rest.startsWith('/') ? rest : `/${rest}`;
      return next();
    }
    sendError(req, res, 404, 'Not found', `There is no page at ${req.path}: this console is served under ${root}/.`);
  };
}
