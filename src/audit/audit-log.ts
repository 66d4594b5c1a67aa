// The audit log: every submission and control action (accepted, rejected, unauthorized) in a bounded Redis stream.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { auditKey } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';
import { logger } from '../log/logger.js';
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
 * Entries nobody identified causes (user `anonymous`: the refusals of whoever reaches the console) are budgeted per
 * minute in each process, per address and in all: otherwise a flood of anonymous POSTs adds an entry each, up to the
 * stream's MAXLEN of a million (gigabytes in Redis). Past the budget, a refusal is answered as before but not
 * recorded; the first one of each minute says so in the log. Identified users are always recorded.
 */
export const ANONYMOUS_AUDIT_PER_MINUTE = { address: 100, process: 600 };

const anonymous = { minute: 0, total: 0, byAddress: new Map<string, number>(), warned: false };

function anonymousWithinBudget(address: string): boolean {
  const minute = Math.floor(Date.now() / 60_000);
  if (minute !== anonymous.minute) Object.assign(anonymous, { minute, total: 0, byAddress: new Map(), warned: false });
  const count = anonymous.byAddress.get(address) ?? 0;
  if (count < ANONYMOUS_AUDIT_PER_MINUTE.address && anonymous.total < ANONYMOUS_AUDIT_PER_MINUTE.process) {
    anonymous.byAddress.set(address, count + 1);
    anonymous.total++;
    return true;
  }
  if (!anonymous.warned) {
    anonymous.warned = true;
    logger('audit').warn(
      { address, perAddress: ANONYMOUS_AUDIT_PER_MINUTE.address, perProcess: ANONYMOUS_AUDIT_PER_MINUTE.process },
      'more anonymous refusals this minute than the audit log records (per address or in all): the rest of this minute are not recorded',
    );
  }
  return false;
}

/**
 * An entry as the stream stores it (the time of now): the same text however often it is written. What was submitted
 * (a task's arguments among the fields) is redacted as the logs are before it is cut to length, so the log never holds
 * a secret, nor half of one.
 */
export function auditRecord(config: Config, entry: NewAuditEntry): string {
  const redactor = redactorFor(config);
  return JSON.stringify({
    ...entry,
    fields: clip(redactor.value(entry.fields)),
    detail: redactor.text(entry.detail),
    time: new Date().toISOString(),
  });
}

/** Writes one entry; '' when it was an anonymous one past its budget (not written). */
export async function writeAudit(redis: Redis, config: Config, entry: NewAuditEntry): Promise<string> {
  if (entry.user === 'anonymous' && !anonymousWithinBudget(entry.address)) return '';
  return writeAuditRecord(redis, config, auditRecord(config, entry));
}

/** How far back a repeated write looks for its record: far more entries than a console writes during an outage. */
const ONCE_LOOKBACK = 2000;

/**
 * Writes a record made by auditRecord. `once`: only if it is not among the newest entries already (for a write tried
 * again after Redis trouble, whose first try may have landed).
 */
export async function writeAuditRecord(redis: Redis, config: Config, record: string, once = false): Promise<string> {
  const id = once
    ? ((await runScript(redis, 'audit-append-once', [auditKey(config)], [record, String(MAX_ENTRIES), String(ONCE_LOOKBACK)])) as
        string | null)
    : await redis.xadd(auditKey(config), 'MAXLEN', '~', String(MAX_ENTRIES), '*', 'entry', record);
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
