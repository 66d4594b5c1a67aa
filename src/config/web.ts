// Web console settings: who may submit (proxy identity, users, groups, API tokens) and request limits.
import { randomBytes } from 'node:crypto';
import { ConfigError, parseBoolean, parseInteger, parseList } from './parse.js';

type Env = Record<string, string | undefined>;

export interface WebAuthConfig {
  /** Header a trusted reverse proxy sets to the authenticated user (GWCelery: X-Proxy-Remote-User). */
  identityHeader: string;
  /** Header with the user's groups (comma or semicolon separated), from the same proxy. */
  groupsHeader: string;
  /** Addresses of proxies whose identity headers are believed; from anywhere else they are ignored. */
  trustedProxies: string[];
  authorizedUsers: string[];
  authorizedGroups: string[];
  /** Scripted clients: Bearer token → the user name it acts as. */
  apiTokens: Map<string, string>;
  /** Development only: a local user may submit when the console listens on loopback. */
  localUserAllowed: boolean;
  secretKey: string;
  bodyLimitBytes: number;
}

export const WEB_SETTINGS: Record<string, { default: string; help: string }> = {
  GWQUEUE_IDENTITY_HEADER: { default: 'X-Proxy-Remote-User', help: 'header carrying the user name, set by the reverse proxy' },
  GWQUEUE_GROUPS_HEADER: { default: 'X-Proxy-Remote-Groups', help: "header carrying the user's groups (comma or semicolon separated)" },
  GWQUEUE_TRUSTED_PROXIES: { default: '(none)', help: 'comma-separated proxy addresses whose identity headers are trusted' },
  GWQUEUE_AUTHORIZED_USERS: { default: '(none)', help: 'comma-separated users who may submit forms and use controls' },
  GWQUEUE_AUTHORIZED_GROUPS: { default: '(none)', help: 'comma-separated groups whose members may submit' },
  GWQUEUE_API_TOKENS: { default: '(none)', help: 'comma-separated user=token pairs for scripted clients (Authorization: Bearer token)' },
  GWQUEUE_LOCAL_USER: {
    default: 'true in development',
    help: 'let a local user submit when the console listens on loopback (development only)',
  },
  GWQUEUE_BODY_LIMIT: { default: '32768', help: 'largest accepted request body, in bytes' },
};

function parseTokens(env: Env): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const entry of parseList(env, 'GWQUEUE_API_TOKENS')) {
    const match = /^([^=\s]+)=(\S{16,})$/.exec(entry);
    if (!match) throw new ConfigError('GWQUEUE_API_TOKENS', 'each entry must be user=token with a token of at least 16 characters');
    tokens.set(match[2], match[1]);
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
    apiTokens: parseTokens(env),
    localUserAllowed,
    // Outside production a random key is fine: sessions simply do not survive a restart.
    secretKey: secretKey || randomBytes(32).toString('hex'),
    bodyLimitBytes: parseInteger(env, 'GWQUEUE_BODY_LIMIT', 32_768, { min: 1024, max: 10_485_760 }),
  };
}
