// The GraceDB API's root document (`GET /gracedb/api/`), which ligo-gracedb reads before anything else.
import type { RequestHandler } from 'express';
import type { WebContext } from '../context.js';
import { apiRoot } from './api-support.js';
import { rootDocument } from './serialize.js';

export function apiRootDocument(ctx: WebContext): RequestHandler {
  return (req, res) => {
    res.json(rootDocument(apiRoot(req, ctx.config)));
  };
}
