// Reads that need a role (the audit log: admins only): refused with 403 and audited; actions are authorized by the action pipeline instead.
import type { Request, Response, NextFunction } from 'express';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/index.js';
import { hasRole, type Role } from '../../config/web.js';
import { writeAudit } from '../../audit/audit-log.js';
import { logger } from '../../log/logger.js';
import { refusedAction, sendError } from './errors.js';

export function requireRole(config: Config, redis: Redis, needed: Role) {
  const log = logger('web');
  return async (req: Request, res: Response, next: NextFunction) => {
    const id = req.identity;
    if (id && hasRole(id.role, needed)) return next();
    const user = id?.user ?? 'anonymous';
    log.warn({ method: req.method, path: req.path, user, role: id?.role, status: 403 }, `refused: needs ${needed}`);
    await writeAudit(redis, config, {
      user,
      address: id?.address ?? '',
      action: refusedAction(req),
      fields: { path: req.originalUrl.slice(0, 200) },
      taskId: null,
      outcome: 'unauthorized',
      detail: `${id?.user ? `user ${id.user} (${id.role})` : 'no authenticated user'} may not read ${req.path}: ${needed}s only`,
    }).catch(() => {});
    sendError(
      req,
      res,
      403,
      'Not authorized',
      `${req.path} is for ${needed}s only. Ask an administrator to add you to GWQUEUE_ADMIN_USERS or GWQUEUE_ADMIN_GROUPS.`,
    );
  };
}
