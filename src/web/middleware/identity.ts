// Who is asking: proxy header (only from trusted proxies), API token, or the development local user; and may they submit.
import os from 'node:os';
import { timingSafeEqual } from 'node:crypto';
import type { Request, Response, NextFunction } from 'express';
import type { WebAuthConfig } from '../../config/web.js';

export interface Identity {
  user: string | null;
  groups: string[];
  via: 'proxy' | 'token' | 'local' | 'anonymous';
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

export function isLoopback(address: string): boolean {
  return address === '::1' || address === 'localhost' || address.startsWith('127.');
}

function tokenUser(auth: WebAuthConfig, header: string | undefined): string | null | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return null;
  const given = Buffer.from(match[1]);
  for (const [token, user] of auth.apiTokens) {
    const expected = Buffer.from(token);
    if (expected.length === given.length && timingSafeEqual(expected, given)) return user;
  }
  return null;
}

/**
 * `listenHost` is where the console listens: the local user is allowed only when that is loopback. `onInvalidToken`
 * runs (and is awaited) before a request with a wrong API token gets its 401, e.g. to audit it.
 */
export function identity(auth: WebAuthConfig, listenHost: string, onInvalidToken?: (req: Request, address: string) => Promise<unknown>) {
  const localUser = `${os.userInfo().username}@${os.hostname()}`;
  const loopbackOnly = isLoopback(listenHost);
  return (req: Request, res: Response, next: NextFunction) => {
    const address = normalizeAddress(req.socket.remoteAddress);
    const fromTrustedProxy = auth.trustedProxies.includes(address);
    const proxyUser = fromTrustedProxy ? req.get(auth.identityHeader)?.trim() : undefined;
    const token = tokenUser(auth, req.get('authorization'));
    let id: Identity;
    if (token === null) {
      const refuse = () => void res.status(401).type('application/json').send({ error: 'invalid API token' });
      if (onInvalidToken)
        onInvalidToken(req, address)
          .catch(() => {})
          .finally(refuse);
      else refuse();
      return;
    } else if (token) {
      id = { user: token, groups: [], via: 'token', authorized: true, address };
    } else if (proxyUser) {
      const groups = fromTrustedProxy
        ? (req.get(auth.groupsHeader) ?? '')
            .split(/[;,]/)
            .map((g) => g.trim())
            .filter(Boolean)
        : [];
      const authorized = auth.authorizedUsers.includes(proxyUser) || groups.some((group) => auth.authorizedGroups.includes(group));
      id = { user: proxyUser, groups, via: 'proxy', authorized, address };
    } else if (auth.localUserAllowed && loopbackOnly && isLoopback(address)) {
      id = { user: localUser, groups: [], via: 'local', authorized: true, address };
    } else {
      id = { user: null, groups: [], via: 'anonymous', authorized: false, address };
    }
    req.identity = id;
    res.locals.identity = id;
    next();
  };
}
