// Who is asking: proxy header (only from trusted proxies), API token, or the development local user; and their role (viewer, operator, admin).
import os from 'node:os';
import { timingSafeEqual } from 'node:crypto';
import type { Request, Response, NextFunction } from 'express';
import { hasRole, type ApiToken, type Role, type WebAuthConfig } from '../../config/web.js';

export interface Identity {
  user: string | null;
  groups: string[];
  via: 'proxy' | 'token' | 'local' | 'anonymous';
  role: Role;
  /** An operator or admin: may submit forms and use the controls. */
  authorized: boolean;
  address: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    identity: Identity;
  }
}

function normalizeAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

/**
 * The client's address: the socket's, or with `trust proxy` set to the trusted proxies (app.ts) the address such a
 * proxy put in X-Forwarded-For; an untrusted sender's X-Forwarded-For is ignored by Express.
 */
export function clientAddress(req: Request): string {
  return normalizeAddress(req.ip ?? req.socket.remoteAddress);
}

/** What the configuration makes of a proxy-authenticated user: admin, operator or viewer. */
export function roleOf(auth: WebAuthConfig, user: string, groups: string[]): Role {
  if (auth.adminUsers.includes(user) || groups.some((group) => auth.adminGroups.includes(group))) return 'admin';
  if (auth.authorizedUsers.includes(user) || groups.some((group) => auth.authorizedGroups.includes(group))) return 'operator';
  return 'viewer';
}

export function isLoopback(address: string): boolean {
  return address === '::1' || address === 'localhost' || address.startsWith('127.');
}

function tokenUser(auth: WebAuthConfig, header: string | undefined, basicAllowed: boolean): ApiToken | null | undefined {
  if (!header) return undefined;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  // Basic: a user and that user's API token as the password (what GraceDB's clients send, with a .netrc entry).
  const basic = basicAllowed ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header) : null;
  let given: Buffer;
  let user: string | undefined;
  if (bearer) given = Buffer.from(bearer[1]);
  else if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    user = decoded.slice(0, colon);
    given = Buffer.from(decoded.slice(colon + 1));
  } else return null;
  for (const [token, owner] of auth.apiTokens) {
    const expected = Buffer.from(token);
    if (expected.length === given.length && timingSafeEqual(expected, given))
      return user === undefined || user === owner.user ? owner : null;
  }
  return null;
}

/**
 * `listenHost` is where the console listens: the local user is allowed only when that is loopback. `onInvalidToken`
 * runs (and is awaited) before a request with a wrong API token gets its 401, e.g. to audit it; when it has answered
 * itself (429: too many wrong tokens) the 401 is not sent.
 */
export function identity(
  auth: WebAuthConfig,
  listenHost: string,
  onInvalidToken?: (req: Request, res: Response, address: string) => Promise<unknown>,
  /** Where Basic credentials (user, API token) are taken too: the GraceDB API, which never reads a session. */
  acceptsBasic: (req: Request) => boolean = () => false,
) {
  const localUser = `${os.userInfo().username}@${os.hostname()}`;
  const loopbackOnly = isLoopback(listenHost);
  return (req: Request, res: Response, next: NextFunction) => {
    // Identity headers are believed from the proxy itself (the socket), never from an address it forwarded.
    const fromTrustedProxy = auth.trustedProxies.includes(normalizeAddress(req.socket.remoteAddress));
    const address = clientAddress(req);
    const proxyUser = fromTrustedProxy ? req.get(auth.identityHeader)?.trim() : undefined;
    const token = tokenUser(auth, req.get('authorization'), acceptsBasic(req));
    let id: Identity;
    if (token === null) {
      const refuse = () =>
        void (
          res.headersSent ||
          res
            .status(401)
            .type('application/json')
            .send(acceptsBasic(req) ? { detail: 'Invalid username/password or token.' } : { error: 'invalid API token' })
        );
      if (onInvalidToken)
        onInvalidToken(req, res, address)
          .catch(() => {})
          .finally(refuse);
      else refuse();
      return;
    } else if (token) {
      id = { user: token.user, groups: [], via: 'token', role: token.role, authorized: hasRole(token.role, 'operator'), address };
    } else if (proxyUser) {
      const groups = fromTrustedProxy
        ? (req.get(auth.groupsHeader) ?? '')
            .split(/[;,]/)
            .map((g) => g.trim())
            .filter(Boolean)
        : [];
      const role = roleOf(auth, proxyUser, groups);
      id = { user: proxyUser, groups, via: 'proxy', role, authorized: hasRole(role, 'operator'), address };
    } else if (auth.localUserAllowed && loopbackOnly && isLoopback(address)) {
      // Development on one's own machine: the person at the keyboard runs everything anyway.
      id = { user: localUser, groups: [], via: 'local', role: 'admin', authorized: true, address };
    } else {
      id = { user: null, groups: [], via: 'anonymous', role: 'viewer', authorized: false, address };
    }
    req.identity = id;
    res.locals.identity = id;
    next();
  };
}
