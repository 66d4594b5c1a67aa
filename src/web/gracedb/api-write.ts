// Every write of the GraceDB API through the one action pipeline: identify → authorize → claim the Idempotency-Key → write once → audit.
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Request, RequestHandler, Response } from 'express';
import { ActionRefusal, runAction, type Actor, type OperatorAction, type RefusalKind } from '../../actions/pipeline.js';
import { TOKEN_PATTERN } from '../../actions/idempotency.js';
import { gracedbAction } from '../../audit/vocabulary.js';
import { hasRole } from '../../config/web.js';
import { withWriteMark, type MarkRecord } from '../../gracedb/embedded-write-mark.js';
import { GraceDbError, type EmbeddedGraceDb } from '../../gracedb/index.js';
import { gracedbApiWriteMarkKey } from '../../redis/keys.js';
import type { WebContext } from '../context.js';
import { webActionDeps } from '../action-route.js';
import { handle, sendDetail, storeFor } from './api-support.js';

/** How long a write's mark (and so a retried key's answer) is kept: as long as the key's claim. */
const MARK_TTL_SECONDS = 24 * 3600;
/** A request's own mark (no key) only has to outlive the request's reconnects. */
const REQUEST_MARK_TTL_SECONDS = 600;

export interface Checked<T> {
  value: T;
  /** What the audit entry records and the Idempotency-Key is bound to (a file: its name, size and SHA-256). */
  fields: Record<string, unknown>;
}

export interface Answer {
  status: number;
  body: unknown;
  /** The audit entry's detail, e.g. "created event T0001". */
  message: string;
}

export interface ApiWrite<T> {
  /** Audited as `gracedb.<write>`. */
  write: string;
  /** For "You are not allowed to …". */
  forbidden: string;
  /** The request's fields, checked (throws GraceDbBadRequestError/GraceDbNotFoundError with GraceDB's words). */
  check(req: Request): Checked<T> | Promise<Checked<T>>;
  /** May this actor do it (beyond being an operator)? A refusal's reason, or undefined. */
  refuse?(actor: Actor, value: T): string | undefined;
  act(store: EmbeddedGraceDb, value: T, req: Request): Promise<Answer>;
  /**
   * The answer to a request whose Idempotency-Key was used already: read again from what the first one wrote
   * (`written`: the store's record of it, e.g. the new event's graceid; undefined when the write left none).
   */
  replay(store: EmbeddedGraceDb, value: T, written: unknown, req: Request): Promise<Answer>;
}

/** A file as the audit entry and the key's binding record it: never its bytes. */
export function fileFields(filename: string, contents: Buffer): Record<string, unknown> {
  return { filename, bytes: contents.length, sha256: createHash('sha256').update(contents).digest('hex') };
}

/**
 * Who writes through the API: an API token (Bearer, or Basic with the token as the password) with the operator role,
 * or in development the local user at a loopback console (ligo-gracedb's force_noauth). A user a proxy identified
 * (its session cookie) reads only: a cookie is sent by any page the browser opens, which the API has no CSRF check for.
 */
function apiActor(req: Request): Actor {
  const { user, address, role, via } = req.identity;
  const authorized = (via === 'token' && hasRole(role, 'operator')) || via === 'local';
  return { user, address, role: authorized ? role : 'viewer', authorized, via: 'token' };
}

const REFUSAL: Record<number, RefusalKind> = { 404: 'not-found', 409: 'refused', 403: 'refused' };

/** The one row docs/actions.md gives every GraceDB API write (`gracedb.<write>`). */
export const GRACEDB_WRITE_DOC = {
  rule: 'Basic (user and API token) or Bearer credentials, never a browser session (the development local user too); the fields GraceDB checks (400 with its `detail`); `Idempotency-Key`: a retried request never writes twice',
  audited: "the request's fields (a file by name, size and SHA-256), `via: gracedb-api`; the object written in the detail",
};

export function apiWrite<T>(ctx: WebContext, spec: ApiWrite<T>): RequestHandler {
  const deps = webActionDeps(ctx);
  return handle(async (req: Request, res: Response) => {
    const actor = apiActor(req);
    const given = req.get('idempotency-key');
    if (given !== undefined && !TOKEN_PATTERN.test(given)) {
      // The pattern is the console's one rule for keys (actions/idempotency.ts), whatever it is.
      return sendDetail(res, 400, 'Idempotency-Key: not a key this console accepts (the same rule as for its forms).');
    }
    const store = storeFor(ctx, req);
    // The store sets this mark in the same atomic step as the write: a request taken over after a lost answer (or
    // sent again with its key) finds it and writes nothing more. Without a key the mark is this request's own: the
    // console's connection sends a command again when its answer was lost with the connection (Redis ran it), and
    // that second run must not write a second time.
    const keyDigest = given
      ? createHash('sha256')
          .update(`${actor.user ?? ''}\n${given}`)
          .digest('hex')
      : undefined;
    const markKey = gracedbApiWriteMarkKey(ctx.config, keyDigest ?? `request:${randomUUID()}`);
    let failure: GraceDbError | undefined;
    let answer: Answer | undefined;
    let checked: Checked<T> | undefined;
    const asRefusal = (error: unknown, fields: Record<string, unknown>): unknown => {
      if (!(error instanceof GraceDbError) || (error.status ?? 500) >= 500) return error;
      failure = error;
      return new ActionRefusal(REFUSAL[error.status ?? 400] ?? 'invalid', error.message, fields);
    };
    const action: OperatorAction<{ path: string }, T> = {
      name: gracedbAction(spec.write),
      title: `GraceDB ${spec.write}`,
      forbidden: spec.forbidden,
      confirm: false,
      once: 'Idempotency-Key',
      // What GraceDB's clients send is checked in GraceDB's words by the write itself (spec.check), from the request.
      input: z.object({ path: z.string() }),
      async prepare() {
        try {
          checked = await spec.check(req);
        } catch (error) {
          throw asRefusal(error, { path: req.originalUrl.slice(0, 200) });
        }
        const reason = spec.refuse?.(actor, checked.value);
        if (reason) {
          failure = new GraceDbError(reason, 403);
          throw new ActionRefusal('refused', reason, checked.fields);
        }
        return { value: checked.value, fields: checked.fields, description: spec.write };
      },
      async act(_deps, prepared) {
        try {
          const ttlSeconds = given ? MARK_TTL_SECONDS : REQUEST_MARK_TTL_SECONDS;
          answer = await withWriteMark({ key: markKey, ttlSeconds }, () => spec.act(store, prepared.value, req));
        } catch (error) {
          throw asRefusal(error, prepared.fields);
        }
        return { message: answer.message };
      },
      doc: GRACEDB_WRITE_DOC,
    };
    const outcome = await runAction(deps, action, {
      actor,
      entry: 'gracedb-api',
      input: { path: req.originalUrl.slice(0, 200) },
      confirmed: true,
      idempotencyKey: given,
    });
    switch (outcome.kind) {
      case 'done':
        return res.status(answer!.status).json(answer!.body);
      case 'duplicate': {
        const mark = await ctx.redis.get(markKey);
        const written = mark ? (JSON.parse(mark) as MarkRecord & { written?: unknown }).written : undefined;
        const again = await spec.replay(store, checked!.value, written, req);
        return res.status(again.status).set('Idempotent-Replayed', 'true').json(again.body);
      }
      case 'unauthorized':
        return sendDetail(
          res,
          403,
          req.identity.via === 'proxy'
            ? 'The GraceDB API takes Basic (user and API token) or Bearer credentials, never a browser session. Nothing was written.'
            : `You do not have permission to ${spec.forbidden}. Nothing was written.`,
        );
      case 'conflict':
        return sendDetail(res, 409, outcome.message);
      default:
        return sendDetail(res, failure?.status ?? outcome.status, failure?.message ?? outcome.message);
    }
  });
}
