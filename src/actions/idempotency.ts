// Idempotency keys of operator actions (a form's one-time token, an API client's Idempotency-Key, a retried task's ID): bound to what they were used for, and never outliving a failed enqueue.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { submissionKey } from '../redis/keys.js';
import { runScript } from '../redis/scripts.js';

const TTL_SECONDS = 24 * 3600;

/**
 * How long a pending claim belongs to the request that made it. A resubmission that finds a pending claim older than
 * this, and no task under the claim's ID, takes the claim over and enqueues under the same ID: if the first request's
 * enqueue does land after all, BullMQ keeps one job per ID, so the task exists once either way.
 */
export const PENDING_GRACE_MS = 2000;

/** A browser form's one-time submission token (home.ts makes 24 base64url characters). */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** An API client's Idempotency-Key: 1–255 visible ASCII characters (0x21–0x7E), as HTTP header values allow plainly. */
export const CLIENT_KEY_MAX = 255;
const CLIENT_KEY = /^[\x21-\x7E]+$/;

/**
 * Reads an Idempotency-Key as the request carried it (every occurrence of the header): the key, undefined when there
 * is none, or why it is refused. A malformed key is never ignored: the client meant to make its retries harmless, and
 * going on without the key would do a retry twice.
 */
export function parseClientKey(values: readonly string[] | undefined): { key?: string; problem?: string } {
  if (!values?.length) return {};
  if (values.length > 1) return { problem: `was sent ${values.length} times; send one key` };
  const [value] = values;
  if (value.length === 0) return { problem: 'is empty; send 1 to 255 visible ASCII characters' };
  if (value.length > CLIENT_KEY_MAX) return { problem: `is ${value.length} characters long; at most ${CLIENT_KEY_MAX} are accepted` };
  if (!CLIENT_KEY.test(value)) {
    const bad = [...value].find((c) => !CLIENT_KEY.test(c)) ?? '';
    const what = bad === ' ' ? 'a space' : bad.charCodeAt(0) > 0x7e ? 'a non-ASCII character' : 'a control character';
    return { problem: `contains ${what}; only visible ASCII characters (0x21–0x7E) are accepted` };
  }
  return { key: value };
}

/**
 * Where a client's key is kept. Any key of the accepted form is stored as its SHA-256, so that its length or characters
 * never reach a Redis key name; a key of the submission-token form ([A-Za-z0-9_-]{16,64}) keeps its own name, as claims
 * always had it, so that a resubmission across an upgrade finds its claim. `sha256:` and the action's own keys
 * (`retry:<id>`) cannot meet a key of the token form (no colon), nor each other.
 */
export function clientKeyName(token: string): string {
  return TOKEN_PATTERN.test(token) ? token : `sha256:${createHash('sha256').update(token).digest('hex')}`;
}

/** What a key was used for: who, which action, with which (canonical) fields. */
export interface KeyPurpose {
  user: string | null;
  action: string;
  fields: Record<string, unknown>;
}

/** What Redis holds under a key. `id`: the task the claim enqueues (chosen before enqueueing) or enqueued. */
interface Stored {
  state: 'pending' | 'done';
  id: string | null;
  /** Fingerprint of the purpose; absent in claims written before keys were bound to their purpose. */
  fp?: string;
  purpose?: KeyPurpose;
  /** When the claim was made (ms), for the grace. */
  at: number;
}

/** Stable JSON: object keys sorted, so that the same fields in another order make the same fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value ?? null);
}

export function fingerprint(purpose: KeyPurpose): string {
  return createHash('sha256').update(canonical(purpose)).digest('hex');
}

/** What differs between two purposes: "user", "action", or the field names, for the 409's message. */
function differences(first: KeyPurpose | undefined, now: KeyPurpose): string[] {
  if (!first) return ['(unknown)'];
  const out: string[] = [];
  if (first.user !== now.user) out.push('user');
  if (first.action !== now.action) out.push('action');
  for (const name of [...new Set([...Object.keys(first.fields), ...Object.keys(now.fields)])].sort()) {
    if (canonical(first.fields[name]) !== canonical(now.fields[name])) out.push(name);
  }
  return out;
}

function parse(raw: string): Stored {
  if (raw.startsWith('{')) {
    try {
      return JSON.parse(raw) as Stored;
    } catch {
      // not ours: read as a plain value below
    }
  }
  // A claim written by an older version: "pending", or the task ID.
  return raw === 'pending' ? { state: 'pending', id: null, at: 0 } : { state: 'done', id: raw, at: 0 };
}

export type KeyClaim =
  /** Act now, and give the new task this ID (BullMQ keeps one job per ID). `claim`: what was stored, for releaseKey. */
  | { kind: 'fresh'; taskId: string; claim: string }
  /** Done already (or its task exists): answer with that task. */
  | { kind: 'done'; taskId: string | null }
  /** Used for something else: 409, never "duplicate". */
  | { kind: 'conflict'; taskId: string | null; differs: string[] };

export interface ClaimOptions {
  purpose: KeyPurpose;
  /** The ID the task will have if this request enqueues it. */
  taskId: string;
  /** Whether a task with this ID exists (was enqueued). */
  exists(taskId: string): Promise<boolean>;
  graceMs?: number;
  /** fingerprint(purpose), when the caller has it already (it records the key with the same one). */
  fingerprint?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Claims a key for one purpose. A key already claimed answers with its task (done, or pending whose task exists),
 * 409 when it was claimed for another purpose, and is taken over (same task ID) when its claim is pending for longer
 * than the grace with no task behind it: the request that claimed it failed before or during its enqueue.
 */
export async function claimKey(redis: Redis, config: Config, token: string, options: ClaimOptions): Promise<KeyClaim> {
  const fp = options.fingerprint ?? fingerprint(options.purpose);
  const graceMs = options.graceMs ?? PENDING_GRACE_MS;
  const mine = (id: string): string =>
    JSON.stringify({ state: 'pending', id, fp, purpose: options.purpose, at: Date.now() } satisfies Stored);
  const deadline = Date.now() + graceMs + 1000;
  for (;;) {
    const claim = mine(options.taskId);
    const set = await redis.set(submissionKey(config, token), claim, 'EX', TTL_SECONDS, 'NX');
    if (set === 'OK') return { kind: 'fresh', taskId: options.taskId, claim };
    const raw = await redis.get(submissionKey(config, token));
    if (raw === null) continue; // expired or released in between: claim it again
    const found = parse(raw);
    if (found.fp && found.fp !== fp) return { kind: 'conflict', taskId: found.id, differs: differences(found.purpose, options.purpose) };
    if (found.state === 'done') return { kind: 'done', taskId: found.id };
    if (found.id && (await options.exists(found.id))) {
      await redis.set(submissionKey(config, token), JSON.stringify({ ...found, state: 'done' }), 'EX', TTL_SECONDS);
      return { kind: 'done', taskId: found.id };
    }
    if (Date.now() - found.at >= graceMs || Date.now() > deadline) {
      const id = found.id ?? options.taskId;
      const claim = mine(id);
      if (await runScript(redis, 'actions-take-over-claim', [submissionKey(config, token)], [raw, claim, String(TTL_SECONDS)]))
        return { kind: 'fresh', taskId: id, claim };
      continue; // another resubmission took it over first: read again
    }
    await sleep(100);
  }
}

/** Records what a claimed key produced, keeping its purpose (`fp`: its fingerprint, when the caller has it). */
export async function recordKey(
  redis: Redis,
  config: Config,
  token: string,
  purpose: KeyPurpose,
  taskId: string | null,
  fp = fingerprint(purpose),
): Promise<void> {
  const done: Stored = { state: 'done', id: taskId, fp, purpose, at: Date.now() };
  await redis.set(submissionKey(config, token), JSON.stringify(done), 'EX', TTL_SECONDS);
}

/**
 * Frees a claim (`claim`: what claimKey stored) when it is known that nothing was done, so that the operator can simply
 * try again and the key is not left "pending". Safe to send again; rejects on Redis trouble (the caller tries again
 * once Redis is back: until then a resubmission takes the claim over after the grace).
 */
export async function releaseKey(redis: Redis, config: Config, token: string, claim: string): Promise<void> {
  await runScript(redis, 'actions-release-claim', [submissionKey(config, token)], [claim]);
}
