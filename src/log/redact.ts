// Keeps secrets out of log lines, Sentry events and every output that shows task text: secret-named keys at any depth, known secret values, and credential patterns.
import { getConfig, type Config } from '../config/index.js';

export const CENSOR = '[redacted]';

/** Keys whose values are secrets wherever they appear (headers, options, form fields, job arguments). */
const SECRET_KEY =
  /passw(or)?d|passphrase|^pass$|secret|token|authori[sz]ation|cookie|api[-_]?key|credential|^dsn$|sentry_?dsn|^sid$|private[-_]?key/i;

/** Credentials written inline: Bearer/Basic headers, user:password@ in URLs, cookies and key=value pairs. */
const PATTERNS: [RegExp, string][] = [
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]{6,}/gi, `$1 ${CENSOR}`],
  [/\b(Basic)\s+(?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{8,}={0,2}/g, `$1 ${CENSOR}`],
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^:@/\s"']*):([^@/\s"']+)@/gi, `$1$2:${CENSOR}@`],
  [/\b((?:gwqueue\.sid|connect\.sid|session(?:id)?)=)[^;\s"',]+/gi, `$1${CENSOR}`],
  [/\b((?:password|passwd|secret|token|api[-_]?key|sentry_key)=)[^&;\s"',]+/gi, `$1${CENSOR}`],
];

/** No pattern matches fewer characters ("a://:b@", "token=x"). */
const SHORTEST_PATTERN = 7;

/** True when a key's value must never be written out. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Every secret the configuration holds, longest first (so that a secret containing another is replaced whole). */
export function secretValues(config: Config): string[] {
  const values = [config.web.secretKey, config.auth.secretKey, config.domain.gracedbToken, config.domain.gracedbBasicAuth?.password];
  values.push(...config.auth.apiTokens.keys());
  for (const raw of [config.redis.url, config.observability.sentryDsn]) {
    if (!raw) continue;
    try {
      const url = new URL(raw);
      values.push(decodeURIComponent(url.password), url.password);
      // A Sentry DSN's "username" is its key.
      if (raw === config.observability.sentryDsn) values.push(url.username);
    } catch {}
  }
  const unique = [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length >= 6))];
  return unique.sort((a, b) => b.length - a.length);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Builds a scrubber for text (a whole serialized log line, a message, a stack). */
export function textScrubber(secrets: string[]): (text: string) => string {
  const known = secrets.length ? new RegExp(secrets.map(escapeRegExp).join('|'), 'g') : undefined;
  // One case-blind scan for anything any replacement could match: most texts shown (IDs, times, names) have nothing,
  // and are let through after it instead of six scans.
  const any = new RegExp([...(known ? [known.source] : []), ...PATTERNS.map(([pattern]) => pattern.source)].join('|'), 'i');
  const shortest = Math.min(SHORTEST_PATTERN, ...secrets.map((secret) => secret.length));
  return (text: string) => {
    if (text.length < shortest || !any.test(text)) return text;
    let out = known ? text.replace(known, CENSOR) : text;
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };
}

/** How far scrubValue follows a value: log lines and Sentry events are cut short; a task's result shown whole. */
interface ScrubLimits {
  depth: number;
  items: number;
}

const LOG_LIMITS: ScrubLimits = { depth: 8, items: 200 };
/** A task's arguments or result as the operator sees them: whole (JSON from Redis has no cycles, and is bounded). */
const SHOWN_LIMITS: ScrubLimits = { depth: 64, items: Number.POSITIVE_INFINITY };

/**
 * A copy of `value` with secret-named keys censored and strings scrubbed, at any depth. Errors become
 * `{type, message, stack}`; cycles and very deep nesting are cut short rather than followed.
 */
export function scrubValue(
  value: unknown,
  scrubText: (text: string) => string,
  depth = 0,
  seen = new WeakSet<object>(),
  limits: ScrubLimits = LOG_LIMITS,
): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > limits.depth) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  const next = (item: unknown, at = depth + 1) => scrubValue(item, scrubText, at, seen, limits);
  if (value instanceof Error) {
    // Own fields too (code, status…), and the cause: pino's error serializer is not used, this replaces it.
    const fields = next({ ...value }) as Record<string, unknown>;
    const cause = value.cause === undefined ? undefined : next(value.cause);
    return {
      type: value.name,
      message: scrubText(value.message),
      stack: value.stack ? scrubText(value.stack) : undefined,
      ...fields,
      ...(cause === undefined ? {} : { cause }),
    };
  }
  if (Array.isArray(value)) return value.slice(0, limits.items).map((item) => next(item));
  if (value instanceof Map) return next(Object.fromEntries(value), depth);
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) && item !== undefined && item !== null && item !== '' ? CENSOR : next(item);
  }
  return out;
}

/**
 * What every output that shows a task's text passes it through — its arguments, result, error, stack trace and log
 * lines, on a terminal (call / chain / result, events, shell, inspect), on a page or in a JSON answer — the same
 * redaction as the logs and Sentry get: the configuration's secrets, secret-named keys, credentials written inline.
 */
export interface Redactor {
  text(text: string): string;
  /** A copy with secret-named keys censored and every string scrubbed; arrays and objects kept whole. */
  value<T>(value: T): T;
}

const redactors = new WeakMap<Config, Redactor>();

function makeRedactor(scrub: (text: string) => string): Redactor {
  return {
    text: scrub,
    value: <T>(value: T) => scrubValue(value, scrub, 0, new WeakSet(), SHOWN_LIMITS) as T,
  };
}

/** The redactor of a configuration (built once per configuration: the secrets are fixed when it is loaded). */
export function redactorFor(config: Config): Redactor {
  let redactor = redactors.get(config);
  if (!redactor) {
    redactor = makeRedactor(textScrubber(secretValues(config)));
    redactors.set(config, redactor);
  }
  return redactor;
}

/**
 * The process's redactor, from the configuration it runs with; a configuration that cannot be read (the error being
 * reported may be that) leaves the credential patterns, which need none.
 */
export function processRedactor(): Redactor {
  try {
    return redactorFor(getConfig());
  } catch {
    return makeRedactor(textScrubber([]));
  }
}
