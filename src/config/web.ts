// Web console settings: who may do what (proxy identity, users, groups, API tokens → viewer, operator, admin) and request limits.
import { randomBytes } from 'node:crypto';
import { ConfigError, parseList } from './parse.js';
import { boolean, custom, EVERY_PROCESS, integer, list, type Reader, type Setting, type Env } from './setting.js';

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

const CONSOLE: readonly Reader[] = ['console'];

/** The settings of this file, one declaration each (setting.ts). */
const S = {
  identityHeader: header('GWQUEUE_IDENTITY_HEADER', 'X-Proxy-Remote-User', 'header carrying the user name, set by the reverse proxy'),
  groupsHeader: header(
    'GWQUEUE_GROUPS_HEADER',
    'X-Proxy-Remote-Groups',
    "header carrying the user's groups (comma or semicolon separated)",
  ),
  trustedProxies: list('GWQUEUE_TRUSTED_PROXIES', {
    help: 'comma-separated proxy addresses whose identity headers and X-Forwarded-For/-Proto are trusted (Express trust proxy)',
    readBy: CONSOLE,
  }),
  authorizedUsers: list('GWQUEUE_AUTHORIZED_USERS', {
    help: 'comma-separated users who are operators: may submit forms and use controls',
    readBy: CONSOLE,
  }),
  authorizedGroups: list('GWQUEUE_AUTHORIZED_GROUPS', { help: 'comma-separated groups whose members are operators', readBy: CONSOLE }),
  adminUsers: list('GWQUEUE_ADMIN_USERS', {
    help: 'comma-separated users who are admins: operators who also read the audit log and configuration, and may clean queues',
    readBy: CONSOLE,
  }),
  adminGroups: list('GWQUEUE_ADMIN_GROUPS', { help: 'comma-separated groups whose members are admins', readBy: CONSOLE }),
  apiTokens: custom('GWQUEUE_API_TOKENS', {
    kind: 'list',
    shown: '(none)',
    help: 'comma-separated user=token (an operator) or user:ROLE=token (ROLE viewer, operator or admin) for scripted clients (Authorization: Bearer token)',
    readBy: CONSOLE,
    read: parseTokens,
  }),
  tokenFailuresPerMinute: integer('GWQUEUE_TOKEN_FAILURES_PER_MINUTE', {
    default: 10,
    min: 1,
    max: 10_000,
    help: 'wrong API tokens accepted per client address and minute (counted in Redis, across console processes); more get 429',
    readBy: CONSOLE,
  }),
  localUser: boolean('GWQUEUE_LOCAL_USER', {
    default: (profile) => profile === 'development',
    shown: 'true in development',
    help: 'let a local user submit when the console listens on loopback (development only)',
    readBy: CONSOLE,
  }),
  bodyLimit: integer('GWQUEUE_BODY_LIMIT', {
    default: 32_768,
    min: 1024,
    max: 10_485_760,
    help: 'largest accepted request body, in bytes',
    readBy: CONSOLE,
  }),
  allowedOrigins: custom('GWQUEUE_ALLOWED_ORIGINS', {
    kind: 'list',
    shown: '(none)',
    help: "comma-separated origins (https://host[:port]) a browser's form or control may be posted from besides the console's own address (its Host, or X-Forwarded-Host/-Proto from a trusted proxy); needed only behind a proxy that rewrites Host and sends no X-Forwarded-Host",
    readBy: CONSOLE,
    read: parseOrigins,
  }),
  typeaheadPerMinute: integer('GWQUEUE_TYPEAHEAD_PER_MINUTE', {
    default: 600,
    min: 0,
    max: 1_000_000,
    help: 'typeahead requests answered per client address and minute in each console process; more get 429 (0: no limit)',
    readBy: CONSOLE,
  }),
  urlPrefix: custom('GWQUEUE_URL_PREFIX', {
    kind: 'path',
    shown: '(none)',
    help: "path the whole console is served under behind a reverse proxy, e.g. /gwcelery (GWCelery's FLASK_APP_PREFIX): every page, asset, API, form, redirect and the session cookie stay under it, and nothing answers outside it",
    readBy: EVERY_PROCESS,
    read: parseUrlPrefix,
  }),
};

export const WEB_SETTINGS: readonly Setting[] = Object.values(S);

/** The console's path, which loadConfig keeps beside its address (Config.web). */
export const URL_PREFIX: Setting<string> = S.urlPrefix;

/** A header name, matched lower-case. */
function header(name: string, fallback: string, help: string): Setting<string> {
  return custom(name, {
    kind: 'text',
    shown: fallback,
    literal: true,
    help,
    readBy: CONSOLE,
    read: (env) => (env[name] ?? fallback).toLowerCase(),
  });
}

/** GWQUEUE_URL_PREFIX as a path without a trailing slash: '' (none) or e.g. '/gwcelery'. */
function parseUrlPrefix(env: Env, name: string): string {
  const raw = (env[name] ?? '').trim().replace(/\/+$/, '');
  if (!raw) return '';
  // One or more plain path segments: nothing a browser or proxy would read differently (no //, dots, %, ? or #).
  if (!/^(\/[A-Za-z0-9_-][A-Za-z0-9_.~-]{0,63}){1,8}$/.test(raw)) {
    throw new ConfigError(name, 'must be a path such as /gwcelery: segments of letters, digits, "_", "-", "." or "~"');
  }
  return raw;
}

/** GWQUEUE_ALLOWED_ORIGINS as URL origins (lower-case, default port left out), each checked. */
function parseOrigins(env: Env, name: string): string[] {
  return parseList(env, name).map((entry) => {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      // refused below
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username || url.password)
      throw new ConfigError(name, `"${entry}" is not an origin such as https://gwcelery.example.org (scheme, host, port; no path)`);
    return url.origin;
  });
}

/** GWQUEUE_PUBLIC_URL as an origin and path without a trailing slash ('' when unset). */
export function parsePublicUrl(env: Env, name: string): string {
  const raw = (env[name] ?? '').trim().replace(/\/+$/, '');
  if (!raw) return '';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be an http(s) URL such as https://emfollow.example.org/gwcelery');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(name, 'must be an http(s) URL without query, fragment or credentials');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function parseTokens(env: Env, name: string): Map<string, ApiToken> {
  const tokens = new Map<string, ApiToken>();
  for (const entry of parseList(env, name)) {
    // user=token stays an operator, as before roles existed; user:admin=token / user:viewer=token name the role.
    const match = /^([^=:\s]+)(?::([a-z]+))?=(\S{16,})$/.exec(entry);
    if (!match) throw new ConfigError(name, 'each entry must be user=token or user:ROLE=token with a token of at least 16 characters');
    const role = (match[2] ?? 'operator') as Role;
    if (!ROLES.includes(role)) throw new ConfigError(name, `unknown role "${match[2]}" for ${match[1]} (viewer, operator or admin)`);
    tokens.set(match[3], { user: match[1], role });
  }
  return tokens;
}

export function loadWebAuthConfig(env: Env, profile: string, secretKey: string): WebAuthConfig {
  const read = <T>(setting: Setting<T>): T => setting.read(env, profile);
  const localUserAllowed = read(S.localUser);
  if (localUserAllowed && profile !== 'development' && profile !== 'test') {
    throw new ConfigError(S.localUser.name, `may only be enabled in the development profile (profile is ${profile})`);
  }
  return {
    identityHeader: read(S.identityHeader),
    groupsHeader: read(S.groupsHeader),
    trustedProxies: read(S.trustedProxies),
    authorizedUsers: read(S.authorizedUsers),
    authorizedGroups: read(S.authorizedGroups),
    adminUsers: read(S.adminUsers),
    adminGroups: read(S.adminGroups),
    apiTokens: read(S.apiTokens),
    tokenFailuresPerMinute: read(S.tokenFailuresPerMinute),
    localUserAllowed,
    // Outside production a random key is fine: sessions simply do not survive a restart.
    secretKey: secretKey || randomBytes(32).toString('hex'),
    bodyLimitBytes: read(S.bodyLimit),
    allowedOrigins: read(S.allowedOrigins),
    typeaheadPerMinute: read(S.typeaheadPerMinute),
  };
}
