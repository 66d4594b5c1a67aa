// Typed GraceDB errors, identical for the REST client and the embedded store, so tasks can react to them alike.

/** What an error keeps of GraceDB's answer: its body, cut to this many characters (Sentry attaches it). */
export const RESPONSE_BODY_LIMIT = 4096;

/** GraceDB's answer body as an error keeps it: text, at most RESPONSE_BODY_LIMIT characters, marked when cut. */
export function responseBodyExcerpt(body: Buffer | string): string {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  return text.length <= RESPONSE_BODY_LIMIT
    ? text
    : `${text.slice(0, RESPONSE_BODY_LIMIT)}… [${text.length - RESPONSE_BODY_LIMIT} more characters cut]`;
}

/**
 * Any failure answered by (or on the way to) GraceDB; `status` is the HTTP status when there was one, `responseBody`
 * GraceDB's answer (cut to RESPONSE_BODY_LIMIT), which Sentry attaches to the event as GWCelery's integration does.
 */
export class GraceDbError extends Error {
  readonly responseBody: string | undefined;
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown; responseBody?: Buffer | string },
  ) {
    super(message, options);
    this.name = 'GraceDbError';
    this.responseBody = options?.responseBody === undefined ? undefined : responseBodyExcerpt(options.responseBody);
  }
}

/** The event, superevent, label, log or file does not exist (HTTP 404). */
export class GraceDbNotFoundError extends GraceDbError {
  constructor(message: string, options?: { cause?: unknown; responseBody?: Buffer | string }) {
    super(message, 404, options);
    this.name = 'GraceDbNotFoundError';
  }
}

/** The credentials are missing, wrong or lack the permission (HTTP 401 or 403). */
export class GraceDbForbiddenError extends GraceDbError {
  constructor(message: string, status: 401 | 403 = 403, options?: { cause?: unknown; responseBody?: Buffer | string }) {
    super(message, status, options);
    this.name = 'GraceDbForbiddenError';
  }
}

/**
 * GraceDB refused the request as invalid (HTTP 400, or 409 for conflicts). `serverMessage` is GraceDB's own
 * wording, which operators recognise, so it is also the error message.
 */
export class GraceDbBadRequestError extends GraceDbError {
  constructor(
    readonly serverMessage: string,
    status = 400,
    options?: { cause?: unknown; responseBody?: Buffer | string },
  ) {
    super(serverMessage, status, options);
    this.name = 'GraceDbBadRequestError';
  }
}

/**
 * GraceDB was unreachable or overloaded (HTTP 408/429/502/503/504, dropped or refused connections, timeouts)
 * even after the client's own retries. The task engine retries any error with `transient === true`.
 */
export class GraceDbTransientError extends GraceDbError {
  readonly transient = true as const;
  constructor(message: string, status?: number, options?: { cause?: unknown; responseBody?: Buffer | string }) {
    super(message, status, options);
    this.name = 'GraceDbTransientError';
  }
}
