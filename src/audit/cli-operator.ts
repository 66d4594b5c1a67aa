// Who acts from a command line (the OS user on this host), and the audit entry of what a terminal enqueued (`call`, `chain`, `shell`).
import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { writeAudit } from './audit-log.js';

/** Who acts: a user and where from. */
export interface Operator {
  user: string;
  address: string;
}

export function cliOperator(): Operator {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    // A container user without a passwd entry.
    user = process.env.USER ?? process.env.LOGNAME ?? `uid${process.getuid?.() ?? '?'}`;
  }
  return { user, address: `cli@${os.hostname()}` };
}

/**
 * Audits a task or chain enqueued from a terminal, as the console audits its forms: the OS user, `cli@host`, the
 * fields (with `via`) and the task ID. The task is queued either way, so a lost entry (Redis gone meanwhile) is not
 * thrown but returned, for the caller to warn about.
 */
export async function auditFromTerminal(
  redis: Redis,
  config: Config,
  entry: { action: string; fields: Record<string, unknown>; via: 'cli' | 'shell'; taskId: string; detail: string },
): Promise<Error | undefined> {
  const { user, address } = cliOperator();
  try {
    await writeAudit(redis, config, {
      user,
      address,
      action: entry.action,
      fields: { ...entry.fields, via: entry.via },
      taskId: entry.taskId,
      outcome: 'accepted',
      detail: entry.detail,
    });
    return undefined;
  } catch (error) {
    return error as Error;
  }
}
