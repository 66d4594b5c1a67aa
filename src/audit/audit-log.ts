// The audit log: every submission and control action (accepted, rejected, unauthorized) in a bounded Redis stream.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { keyOf } from '../redis/keys.js';
import { redactorFor } from '../log/redact.js';

export type AuditOutcome = 'accepted' | 'rejected' | 'unauthorized' | 'duplicate' | 'unavailable' | 'error';

export interface AuditEntry {
  /** Stream ID: time-ordered, also the pagination cursor. */
  id: string;
  time: string;
  user: string;
  address: string;
  /** What was done, a name of audit/vocabulary.ts (e.g. form.send_preliminary_gcn, queue.pause). */
  action: string;
  fields: Record<string, unknown>;
  taskId: string | null;
  outcome: AuditOutcome;
  detail: string;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'time'>;

const MAX_ENTRIES = 1_000_000;
const FIELD_LIMIT = 2000;

export function auditKey(config: Config): string {
  return keyOf(config, 'audit');
}

/** Field values are cut to a sane length: the log must never grow by what an attacker types. */
function clip(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields).slice(0, 50)) {
    const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
    out[key.slice(0, 100)] = text.length > FIELD_LIMIT ? `${text.slice(0, FIELD_LIMIT)}…` : value;
  }
  return out;
}

/**
 * Writes one entry. What was submitted (a task's arguments among the fields) is redacted as the logs are before it is
 * cut to length, so the log never holds a secret, nor half of one.
 */
export async function writeAudit(redis: Redis, config: Config, entry: NewAuditEntry): Promise<string> {
  const redactor = redactorFor(config);
  const record = {
    ...entry,
    fields: clip(redactor.value(entry.fields)),
    detail: redactor.text(entry.detail),
    time: new Date().toISOString(),
  };
  const id = await redis.xadd(auditKey(config), 'MAXLEN', '~', String(MAX_ENTRIES), '*', 'entry', JSON.stringify(record));
  return id ?? '';
}

export interface AuditQuery {
  user?: string;
  action?: string;
  /** Only entries older than this stream ID (the previous page's last ID). */
  before?: string;
  limit?: number;
}

/** Newest first, filtered by user and action; scans at most 20,000 entries per page. */
export async function listAudit(
  redis: Redis,
  config: Config,
  query: AuditQuery = {},
): Promise<{ entries: AuditEntry[]; next: string | null }> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  const redactor = redactorFor(config);
  const entries: AuditEntry[] = [];
  let end = query.before ? `(${query.before}` : '+';
  let scanned = 0;
  while (entries.length < limit && scanned < 20_000) {
    const chunk = await redis.xrevrange(auditKey(config), end, '-', 'COUNT', 500);
    if (!chunk.length) return { entries, next: null };
    scanned += chunk.length;
    for (const [id, values] of chunk) {
      const read = JSON.parse(values[1]) as Omit<AuditEntry, 'id'>;
      // Entries are redacted when written; again when read, with the secrets this process knows.
      const entry = { id, ...read, fields: redactor.value(read.fields), detail: redactor.text(read.detail) };
      if (query.user && entry.user !== query.user) continue;
      if (query.action && entry.action !== query.action) continue;
      entries.push(entry);
      if (entries.length === limit) return { entries, next: id };
    }
    end = `(${chunk[chunk.length - 1][0]}`;
  }
  return { entries, next: entries.length ? entries[entries.length - 1].id : null };
}
