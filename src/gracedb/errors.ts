// Typed GraceDB errors, identical for the REST client and the embedded store, so tasks can react to them alike.

/** Any failure answered by (or on the way to) GraceDB; `status` is the HTTP status when there was one. */
export class GraceDbError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GraceDbError';
  }
}

/** The event, superevent, label, log or file does not exist (HTTP 404). */
export class GraceDbNotFoundError extends GraceDbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 404, options);
    this.name = 'GraceDbNotFoundError';
  }
}

/** The credentials are missing, wrong or lack the permission (HTTP 401 or 403). */
export class GraceDbForbiddenError extends GraceDbError {
  constructor(message: string, status: 401 | 403 = 403, options?: { cause?: unknown }) {
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
    options?: { cause?: unknown },
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
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, status, options);
    this.name = 'GraceDbTransientError';
  }
}
