// The GraceDB API tests' tokens, their view of an in-process environment (the API root, a Redis connection of their own) and GraceDB-style requests over real HTTP.
import { Redis } from 'ioredis';
import type { InProcess } from '../helpers/in-process.js';

export const OPERATOR_TOKEN = 'operator-token-0123456789abcdef';
export const ADMIN_TOKEN = 'admin-token-0123456789abcdefghij';
export const VIEWER_TOKEN = 'viewer-token-0123456789abcdefgh';

/** Who may use the API in these tests: the operator, admin and viewer tokens; no local user; no token throttling. */
export const API_ACCESS: Record<string, string> = {
  GWQUEUE_TRUSTED_PROXIES: '127.0.0.1',
  GWQUEUE_AUTHORIZED_USERS: 'albert.einstein',
  GWQUEUE_API_TOKENS: `robot=${OPERATOR_TOKEN},chief:admin=${ADMIN_TOKEN},reader:viewer=${VIEWER_TOKEN}`,
  GWQUEUE_LOCAL_USER: 'false',
  GWQUEUE_TOKEN_FAILURES_PER_MINUTE: '1000',
};

/** An in-process environment started with `listen`, seen as a GraceDB client sees it. */
export interface ApiFixture extends Omit<InProcess, 'client'> {
  /** A connection of the test's own, to look at what was written. */
  client: Redis;
  /** The API root, e.g. http://127.0.0.1:PORT/gracedb/api/. */
  root: string;
}

export function withApiClient(environment: InProcess): ApiFixture {
  const client = new Redis(environment.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  return Object.assign(Object.create(environment) as InProcess, {
    client,
    root: `${environment.web.url}/gracedb/api/`,
    async stop() {
      client.disconnect();
      await environment.stop();
    },
  });
}

/** What gracedb-sdk sends: Basic with the user and the API token as the password. */
export function basic(user: string, token: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` };
}

export const AS_OPERATOR = basic('robot', OPERATOR_TOKEN);
export const AS_ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** An event upload as gracedb-sdk makes it: multipart fields and the file `eventFile`. */
export function eventForm(fields: Record<string, string | string[]>, file: { name: string; contents: string | Buffer }): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) form.append(name, one);
  form.append('eventFile', new Blob([typeof file.contents === 'string' ? file.contents : new Uint8Array(file.contents)]), file.name);
  return form;
}

export async function json(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`not JSON (${response.status}): ${text.slice(0, 300)}`);
  }
}
