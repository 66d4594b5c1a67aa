// HTTP plumbing of the GraceDB REST client: authentication, retries with exponential backoff, typed errors.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GraceDbBadRequestError, GraceDbError, GraceDbForbiddenError, GraceDbNotFoundError, GraceDbTransientError } from './errors.js';

export interface RetryOptions {
  /** Tries in all, the first included (default 4). */
  attempts?: number;
  /** Wait before the second try; doubles for each further one (default 200 ms). */
  initialDelayMs?: number;
  /** Upper bound of one wait (default 5000 ms). */
  maxDelayMs?: number;
  /** One try is abandoned (and counts as a dropped connection) after this long (default 30000 ms). */
  timeoutMs?: number;
}

export interface RestAuth {
  token?: string;
  basicAuth?: { username: string; password: string };
}

export type RequestBody = { json: unknown } | { form: FormData } | undefined;

export interface RawResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

const TRANSIENT_STATUS = new Set([408, 429, 502, 503, 504]);

/**
 * Methods whose repeat is not harmless: a try whose answer was lost (a reset, a timeout, a 502 from a proxy) may have
 * been done, and the next try would do it again (a second log entry, a second VOEvent). Every try of one request
 * carries the same Idempotency-Key, so a GraceDB that keeps keys (gwqueue's own, /gracedb/api) answers the repeat with
 * the first write's answer instead of writing twice.
 */
const UNSAFE_METHODS = new Set(['POST', 'PATCH']);

export class RestTransport {
  readonly baseUrl: URL;
  private readonly headers: Record<string, string>;
  private readonly retry: Required<RetryOptions>;

  constructor(url: string, auth: RestAuth, retry: RetryOptions = {}) {
    // new URL('events/', base) drops the base's last segment unless it ends with a slash.
    this.baseUrl = new URL(url.endsWith('/') ? url : `${url}/`);
    this.headers = { accept: 'application/json', 'user-agent': 'gwqueue' };
    if (auth.token) this.headers.authorization = `Bearer ${auth.token}`;
    else if (auth.basicAuth) {
      const credentials = Buffer.from(`${auth.basicAuth.username}:${auth.basicAuth.password}`).toString('base64');
      this.headers.authorization = `Basic ${credentials}`;
    }
    this.retry = {
      attempts: Math.max(1, retry.attempts ?? 4),
      initialDelayMs: retry.initialDelayMs ?? 200,
      maxDelayMs: retry.maxDelayMs ?? 5000,
      timeoutMs: retry.timeoutMs ?? 30_000,
    };
  }

  /** An API URL from a path relative to the base (`events/G1234`) and optional query parameters. */
  url(path: string, query: Record<string, string | number | undefined> = {}): URL {
    const target = new URL(path, this.baseUrl);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) target.searchParams.set(name, String(value));
    return target;
  }

  async json<T>(method: string, target: URL, body?: RequestBody): Promise<T> {
    const response = await this.send(method, target, body);
    const text = response.body.toString('utf8');
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new GraceDbError(
        `${method} ${target.pathname}: GraceDB answered ${response.status} with something that is not JSON`,
        response.status,
      );
    }
  }

  /** One successful (2xx) response, after retrying transient failures; anything else as a typed error. */
  async send(method: string, target: URL, body?: RequestBody): Promise<RawResponse> {
    let lastProblem = '';
    let lastStatus: number | undefined;
    let lastCause: unknown;
    let lastBody: Buffer | undefined;
    const key = UNSAFE_METHODS.has(method) ? randomUUID() : undefined;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt += 1) {
      if (attempt > 1) await sleep(Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** (attempt - 2)));
      let response: RawResponse;
      try {
        response = await this.attempt(method, target, body, key);
      } catch (error) {
        // fetch rejects only when no complete HTTP answer arrived: refused, reset, hang-up, timeout.
        lastProblem = describeNetworkError(error);
        lastStatus = undefined;
        lastCause = error;
        lastBody = undefined;
        continue;
      }
      if (response.status >= 200 && response.status < 300) return response;
      if (TRANSIENT_STATUS.has(response.status)) {
        lastProblem = `HTTP ${response.status} ${errorMessage(response)}`.trim();
        lastStatus = response.status;
        lastCause = undefined;
        lastBody = response.body;
        continue;
      }
      throw errorFor(method, target, response);
    }
    throw new GraceDbTransientError(
      `${method} ${target.pathname}: GraceDB unavailable after ${this.retry.attempts} tries (${lastProblem})`,
      lastStatus,
      { cause: lastCause, responseBody: lastBody },
    );
  }

  private async attempt(method: string, target: URL, body: RequestBody, key: string | undefined): Promise<RawResponse> {
    const headers: Record<string, string> = { ...this.headers, ...(key ? { 'idempotency-key': key } : {}) };
    let payload: string | FormData | undefined;
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      payload = body.form; // fetch writes the multipart boundary into content-type itself
    }
    const response = await fetch(target, { method, headers, body: payload, signal: AbortSignal.timeout(this.retry.timeoutMs) });
    // Read the body inside the try: a connection dropped mid-body is as transient as one dropped before it.
    const bytes = Buffer.from(await response.arrayBuffer());
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: bytes };
  }
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && typeof cause.code === 'string') return `${cause.code}${typeof cause.message === 'string' ? `: ${cause.message}` : ''}`;
  if (cause && typeof cause.message === 'string') return `${error.message}: ${cause.message}`;
  return `${error.name}: ${error.message}`;
}

/** GraceDB's own words from an error answer: DRF `detail`, validation messages, or plain text. */
export function errorMessage(response: RawResponse): string {
  const text = response.body.toString('utf8').trim();
  if (text === '') return '';
  if (/json/.test(response.contentType) || /^[[{"]/.test(text)) {
    try {
      return flattenMessage(JSON.parse(text));
    } catch {}
  }
  if (/html/.test(response.contentType))
    return text
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 300);
  return text.slice(0, 1000);
}

function flattenMessage(value: unknown, field?: string): string {
  if (typeof value === 'string') return field && field !== 'non_field_errors' && field !== 'detail' ? `${field}: ${value}` : value;
  if (Array.isArray(value)) return value.map((item) => flattenMessage(item, field)).join('; ');
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([key, item]) => flattenMessage(item, key))
      .join('; ');
  }
  return String(value);
}

function errorFor(method: string, target: URL, response: RawResponse): GraceDbError {
  const message = errorMessage(response);
  const where = `${method} ${target.pathname}`;
  const options = { responseBody: response.body };
  switch (response.status) {
    case 400:
    case 409:
      return new GraceDbBadRequestError(message || `${where}: bad request`, response.status, options);
    case 401:
    case 403:
      return new GraceDbForbiddenError(`${where}: ${message || 'forbidden'}`, response.status, options);
    case 404:
      return new GraceDbNotFoundError(`${where}: ${message || 'not found'}`, options);
    default:
      return new GraceDbError(`${where}: HTTP ${response.status}${message ? ` ${message}` : ''}`, response.status, options);
  }
}
