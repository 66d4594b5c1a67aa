// Keeps secrets out of log lines and Sentry events: secret-named keys at any depth, known secret values, and credential patterns.
import type { Config } from '../config/index.js';

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
  return (text: string) => {
    let out = known ? text.replace(known, CENSOR) : text;
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };
}

/**
 * A copy of `value` with secret-named keys censored and strings scrubbed, at any depth. Errors become
 * `{type, message, stack}`; cycles and very deep nesting are cut short rather than followed.
 */
export function scrubValue(value: unknown, scrubText: (text: string) => string, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) {
    // Own fields too (code, status…), and the cause: pino's error serializer is not used, this replaces it.
    const fields = scrubValue({ ...value }, scrubText, depth + 1, seen) as Record<string, unknown>;
    const cause = value.cause === undefined ? undefined : scrubValue(value.cause, scrubText, depth + 1, seen);
    return {
      type: value.name,
      message: scrubText(value.message),
      stack: value.stack ? scrubText(value.stack) : undefined,
      ...fields,
      ...(cause === undefined ? {} : { cause }),
    };
  }
  if (Array.isArray(value)) return value.slice(0, 200).map((item) => scrubValue(item, scrubText, depth + 1, seen));
  if (value instanceof Map) return scrubValue(Object.fromEntries(value), scrubText, depth, seen);
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      isSecretKey(key) && item !== undefined && item !== null && item !== '' ? CENSOR : scrubValue(item, scrubText, depth + 1, seen);
  }
  return out;
}
