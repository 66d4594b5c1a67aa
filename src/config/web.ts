// Web console settings: who may do what (proxy identity, users, groups, API tokens → viewer, operator, admin) and request limits.
import { randomBytes } from 'node:crypto';
import { ConfigError, parseBoolean, parseInteger, parseList } from './parse.js';

type Env = Record<string, string | undefined>;

/**
 * What a caller may do. viewer: read pages (no secrets, no infrastructure details); operator: submit forms and use the
 * controls; admin: also the audit log, configuration details, stack traces and destructive controls (clean, purge).
 */
export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** Whether `role` includes `needed` (admin ⊃ operator ⊃ viewer). */
export function hasRole(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export interface ApiToken {
  user: string;
  role: Role;
}

export interface WebAuthConfig {
  /** Header a trusted reverse proxy sets to the authenticated user (GWCelery: X-Proxy-Remote-User). */
  identityHeader: string;
  /** Header with the user's groups (comma or semicolon separated), from the same proxy. */
  groupsHeader: string;
  /** Addresses of proxies whose identity headers are believed; from anywhere else they are ignored. */
  trustedProxies: string[];
  /** Operators: may submit forms and use the controls. */
  authorizedUsers: string[];
  authorizedGroups: string[];
  /** Admins: operators who also read the audit log and configuration and may clean and purge. */
  adminUsers: string[];
  adminGroups: string[];
  /** Scripted clients: Bearer token → the user name it acts as and its role. */
  apiTokens: Map<string, ApiToken>;
  /** Failed API-token attempts allowed per client address and minute before it gets 429. */
  tokenFailuresPerMinute: number;
  /** Development only: a local user may submit when the console listens on loopback. */
  localUserAllowed: boolean;
  secretKey: string;
  bodyLimitBytes: number;
  /**
   * Origins (scheme://host[:port]) a browser's state-changing request may come from besides the console's own (the
   * Host, or X-Forwarded-Host/-Proto from a trusted proxy): for a proxy that rewrites the Host header.
   */
  allowedOrigins: string[];
  /** Typeahead requests answered per client address and minute, in each console process (0: no limit). */
  typeaheadPerMinute: number;
}

export const WEB_SETTINGS: Record<string, { default: string; help: string }> = {
  GWQUEUE_IDENTITY_HEADER: { default: 'X-Proxy-Remote-User', help: 'header carrying the user name, set by the reverse proxy' },
  GWQUEUE_GROUPS_HEADER: { default: 'X-Proxy-Remote-Groups', help: "header carrying the user's groups (comma or semicolon separated)" },
  GWQUEUE_TRUSTED_PROXIES: {
    default: '(none)',
    help: 'comma-separated proxy addresses whose identity headers and X-Forwarded-For/-Proto are trusted (Express trust proxy)',
  },
  GWQUEUE_AUTHORIZED_USERS: { default: '(none)', help: 'comma-separated users who are operators: may submit forms and use controls' },
  GWQUEUE_AUTHORIZED_GROUPS: { default: '(none)', help: 'comma-separated groups whose members are operators' },
  GWQUEUE_ADMIN_USERS: {
    default: '(none)',
    help: 'comma-separated users who are admins: operators who also read the audit log and configuration, and may clean queues',
  },
  GWQUEUE_ADMIN_GROUPS: { default: '(none)', help: 'comma-separated groups whose members are admins' },
  GWQUEUE_API_TOKENS: {
    default: '(none)',
    help: 'comma-separated user=token (an operator) or user:ROLE=token (ROLE viewer, operator or admin) for scripted clients (Authorization: Bearer token)',
  },
  GWQUEUE_TOKEN_FAILURES_PER_MINUTE: {
    default: '10',
    help: 'wrong API tokens accepted per client address and minute (counted in Redis, across console processes); more get 429',
  },
  GWQUEUE_LOCAL_USER: {
    default: 'true in development',
    help: 'let a local user submit when the console listens on loopback (development only)',
  },
  GWQUEUE_BODY_LIMIT: { default: '32768', help: 'largest accepted request body, in bytes' },
  GWQUEUE_ALLOWED_ORIGINS: {
    default: '(none)',
    help: "comma-separated origins (https://host[:port]) a browser's form or control may be posted from besides the console's own address (its Host, or X-Forwarded-Host/-Proto from a trusted proxy); needed only behind a proxy that rewrites Host and sends no X-Forwarded-Host",
  },
  GWQUEUE_TYPEAHEAD_PER_MINUTE: {
    default: '600',
    help: 'typeahead requests answered per client address and minute in each console process; more get 429 (0: no limit)',
  },
  GWQUEUE_URL_PREFIX: {
    default: '(none)',
    help: "path the whole console is served under behind a reverse proxy, e.g. /gwcelery (GWCelery's FLASK_APP_PREFIX): every page, asset, API, form, redirect and the session cookie stay under it, and nothing answers outside it",
  },
};

/** GWQUEUE_URL_PREFIX as a path without a trailing slash: '' (none) or e.g. '/gwcelery'. */
export function parseUrlPrefix(env: Env): string {
  const raw = (env.GWQUEUE_URL_PREFIX ?? '').trim().replace(/\/+$/, '');
  if (!raw) return '';
  // One or more plain path segments: nothing a browser or proxy would read differently (no //, dots, %, ? or #).
  if (!/^(\/[A-Za-z0-9_-][A-Za-z0-9_.~-]{0,63}){1,8}$/.test(raw)) {
    throw new ConfigError('GWQUEUE_URL_PREFIX', 'must be a path such as /gwcelery: segments of letters, digits, "_", "-", "." or "~"');
  }
  return raw;
}

/** GWQUEUE_ALLOWED_ORIGINS as URL origins (lower-case, default port left out), each checked. */
function parseOrigins(env: Env): string[] {
  return parseList(env, 'GWQUEUE_ALLOWED_ORIGINS').map((entry) => {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      // refused below
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username || url.password)
      throw new ConfigError(
        'GWQUEUE_ALLOWED_ORIGINS',
        `"${entry}" is not an origin such as https://gwcelery.example.org (scheme, host, port; no path)`,
      );
    return url.origin;
  });
}

/** GWQUEUE_PUBLIC_URL as an origin and path without a trailing slash ('' when unset). */
export function parsePublicUrl(env: Env): string {
  const raw = (env.GWQUEUE_PUBLIC_URL ?? '').trim().replace(/\/+$/, '');
  if (!raw) return '';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('GWQUEUE_PUBLIC_URL', 'must be an http(s) URL such as https://emfollow.example.org/gwcelery');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    throw new ConfigError('GWQUEUE_PUBLIC_URL', 'must be an http(s) URL without query, fragment or credentials');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function parseTokens(env: Env): Map<string, ApiToken> {
  const tokens = new Map<string, ApiToken>();
  for (const entry of parseList(env, 'GWQUEUE_API_TOKENS')) {
    // user=token stays an operator, as before roles existed; user:admin=token / user:viewer=token name the role.
    const match = /^([^=:\s]+)(?::([a-z]+))?=(\S{16,})$/.exec(entry);
    if (!match)
      throw new ConfigError(
        'GWQUEUE_API_TOKENS',
        'each entry must be user=token or user:ROLE=token with a token of at least 16 characters',
      );
    const role = (match[2] ?? 'operator') as Role;
    if (!ROLES.includes(role))
      throw new ConfigError('GWQUEUE_API_TOKENS', `unknown role "${match[2]}" for ${match[1]} (viewer, operator or admin)`);
    tokens.set(match[3], { user: match[1], role });
  }
  return tokens;
}

export function loadWebAuthConfig(env: Env, profile: string, secretKey: string): WebAuthConfig {
  const localUserAllowed = parseBoolean(env, 'GWQUEUE_LOCAL_USER', profile === 'development');
  if (localUserAllowed && profile !== 'development' && profile !== 'test') {
    throw new ConfigError('GWQUEUE_LOCAL_USER', `may only be enabled in the development profile (profile is ${profile})`);
  }
  return {
    identityHeader: (env.GWQUEUE_IDENTITY_HEADER ?? 'X-Proxy-Remote-User').toLowerCase(),
    groupsHeader: (env.GWQUEUE_GROUPS_HEADER ?? 'X-Proxy-Remote-Groups').toLowerCase(),
    trustedProxies: parseList(env, 'GWQUEUE_TRUSTED_PROXIES'),
    authorizedUsers: parseList(env, 'GWQUEUE_AUTHORIZED_USERS'),
    authorizedGroups: parseList(env, 'GWQUEUE_AUTHORIZED_GROUPS'),
    adminUsers: parseList(env, 'GWQUEUE_ADMIN_USERS'),
    adminGroups: parseList(env, 'GWQUEUE_ADMIN_GROUPS'),
    apiTokens: parseTokens(env),
    tokenFailuresPerMinute: parseInteger(env, 'GWQUEUE_TOKEN_FAILURES_PER_MINUTE', 10, { min: 1, max: 10_000 }),
    localUserAllowed,
    // Outside production a random key is fine: sessions simply do not survive a restart.
    secretKey: secretKey || randomBytes(32).toString('hex'),
    bodyLimitBytes: parseInteger(env, 'GWQUEUE_BODY_LIMIT', 32_768, { min: 1024, max: 10_485_760 }),
    allowedOrigins: parseOrigins(env),
    typeaheadPerMinute: parseInteger(env, 'GWQUEUE_TYPEAHEAD_PER_MINUTE', 600, { min: 0, max: 1_000_000 }),
  };
}
