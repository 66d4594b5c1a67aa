// The one operator-action pipeline: identify → authorize → validate → confirm (browser) → claim the idempotency key → act → audit → outcome, for every entry point.
import { sentTogether } from '../redis/together.js';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { Config } from '../config/index.js';
import { hasRole, type Role } from '../config/web.js';
import type { TaskClient } from '../queue/client.js';
import { auditRecord, writeAudit, writeAuditRecord, type AuditOutcome, type NewAuditEntry } from '../audit/audit-log.js';
import type { ActionName } from '../audit/vocabulary.js';
import { logger } from '../log/logger.js';
import { claimKey, clientKeyName, fingerprint, recordKey, releaseKey, type KeyPurpose } from './idempotency.js';
import { RedisUnavailableError } from '../redis/errors.js';
import { asRedisUnavailable } from '../redis/connection.js';
import { confirmReplication, markReplication, type ReplicationMark } from '../redis/replication.js';
import { untilWritten } from '../redis/until-written.js';
import { checkInput, describeProblems } from '../input/check.js';
import type { WorkerCommand } from './worker-commands.js';

/** Who acts, as the entry point identified them. */
export interface Actor {
  /** null: nobody identified (an anonymous browser). */
  user: string | null;
  /** The client's IP address, or `cli@<host>` from a terminal. */
  address: string;
  authorized: boolean;
  /** What the actor may do; unset: an authorized actor is an operator, a terminal (the OS user on the Redis host) an admin. */
  role?: Role;
  /** Only a browser is asked to confirm: an API client or a terminal has said what it wants. */
  via: 'browser' | 'token' | 'terminal';
  /** Who asked, when not the one who acts (`gwqueue chain -u NAME`): audited as `asked_by`, written into a chain's log message. */
  askedBy?: string;
}

export interface ActionRequest {
  actor: Actor;
  /** The entry point (dashboard, task-page, cli, events…), recorded in the audit entry's fields as `via`. */
  entry: string;
  /** What the operator sent (route parameters, form body, command arguments), unchecked. */
  input: Record<string, unknown>;
  /** The operator has confirmed (a browser's second POST with confirmed=yes). */
  confirmed: boolean;
  /**
   * A key the caller brings (a form's one-time token, an API client's Idempotency-Key, checked by the entry point with
   * parseClientKey); the action's own key wins.
   */
  idempotencyKey?: string;
}

/**
 * The task list's index (task-index/) and the worker control channel (control/) sit above this folder: the entry
 * points hand them in through these two small interfaces, so that actions/ never imports upwards.
 */
export interface TaskIndexPort {
  remove(ids: string[]): Promise<unknown>;
}
export interface ControlPort {
  send(options: {
    action: WorkerCommand;
    args?: Record<string, unknown>;
    destination?: string[];
    timeoutMs: number;
    sender: string;
  }): Promise<{
    replies: { worker: string; ok: boolean; message: string }[];
    missing: string[];
  }>;
}

export interface ActionDeps {
  client: TaskClient;
  config: Config;
  /** Where audit entries and idempotency keys go (the console's or the terminal's connection). */
  redis: Redis;
  taskIndex: TaskIndexPort;
  control: ControlPort;
}

/** What validation made of the input: the checked value, what the audit entry and the confirmation page show. */
export interface Prepared<T> {
  value: T;
  fields: Record<string, unknown>;
  /** One sentence for the confirmation page. */
  description: string;
  /** The action's own idempotency key (a retry: the retried task's ID), claimed before acting. */
  idempotencyKey?: string;
  /** Recorded on a refusal or a duplicate: the task acted upon. */
  taskId?: string;
}

/** What was done. */
export interface Done {
  message: string;
  /** The new task (enqueued) or the task acted upon; recorded with the idempotency key and in the audit entry. */
  taskId?: string;
  /** A new task was queued: the browser goes to its page, an API client gets 202 and its URL. */
  enqueued?: boolean;
  data?: Record<string, unknown>;
  /** The audit outcome when not plainly accepted (a worker command nobody answered: unavailable). */
  audit?: AuditOutcome;
}

export type RefusalKind = 'invalid' | 'not-found' | 'refused';

/** Thrown by validate or act when the request cannot be done; the pipeline audits it as rejected. */
export class ActionRefusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
    readonly fields: Record<string, unknown> = {},
    readonly taskId: string | null = null,
    /** Per input field, what is wrong with it (a form shown again with its errors, JSON `fields`). */
    readonly problems: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ActionRefusal';
  }
}

/** How a repeated request is caught (the route table and the docs say it). */
export type Once = 'state check' | 'the retried task' | 'submission token | Idempotency-Key' | 'Idempotency-Key' | '-';

/** A URL that runs the action (web/ mounts it and lists it in the route table). */
export interface WebEntry {
  /** page: the console's own paths; dashboard: under the dashboard's base (/flower). */
  area: 'page' | 'dashboard';
  /** Express path; its parameters are input fields of the same name. */
  path: string;
  /** Recorded in the audit entry as `via`. */
  entry: string;
  /** Where a browser goes when nothing was queued (in the same area; `:name` parameters filled in), unless the page it came from is given. */
  back: string;
  /** Served by `gwqueue flower` too. */
  flower: boolean;
}

/** A button on the dashboard's task rows that posts to the action's `/tasks/:id/…` dashboard path. */
export interface TaskButton {
  label: string;
  /** Bootstrap button class. */
  style: string;
  /** The task states the button is shown in. */
  states: readonly string[];
  /** The question asked first (a dialog, or a page without JavaScript); `{name}` and `{id}` are filled in. */
  confirm?: string;
}

/** A `gwqueue control …` subcommand: its usage (arguments in order are input fields of those names) and help. */
export interface CliEntry {
  usage: string;
  description: string;
  /** The outcome's data holds workers' replies: printed one per worker, exit 69 when one did not answer. */
  replies?: boolean;
}

/** The row of docs/actions.md: the rule and what is audited; `also`: entry points besides the generated ones. */
export interface ActionDoc {
  rule: string;
  audited: string;
  also?: string;
}

/**
 * One operator action, declared once: its audit name, who may run it, whether a browser confirms, its input schema,
 * how a repeat is caught, what it does, and where it is offered. The route table, `gwqueue control`, the dashboard's
 * task-row buttons, the audit vocabulary and the docs table are made from the declarations (actions/registry.ts).
 */
export interface OperatorAction<I = unknown, T = I> {
  name: ActionName;
  /** For the confirmation page and its button. */
  title: string;
  /** For "You are not allowed to …": e.g. "retry tasks". */
  forbidden: string;
  /** Who may do it: operator (the default) or admin (destructive: cleaning and purging queues, shutting workers down). */
  role?: Role;
  /** A browser confirms first (a dialog with JavaScript, a page without). */
  confirm: boolean;
  once: Once;
  /** The input's one check, whatever the entry point (route parameters and body, command arguments). */
  input: z.ZodType<I>;
  /** What needs Redis or GraceDB to check (the task exists and is failed…), and what the audit entry and confirmation show. */
  prepare(deps: ActionDeps, value: I): Promise<Prepared<T>>;
  act(deps: ActionDeps, prepared: Prepared<T>, actor: Actor): Promise<Done>;
  /** What a second request with a claimed key is told (taskId null: the first is still in flight). */
  duplicate?(prepared: Prepared<T>, taskId: string | null): string;
  /** What would leave if it were confirmed (an alert), shown on the confirmation step; made only then. */
  preview?(deps: ActionDeps, prepared: Prepared<T>): Promise<unknown>;
  web?: readonly WebEntry[];
  button?: TaskButton;
  cli?: CliEntry;
  doc: ActionDoc;
}

/** Any declared action, for the lists that hold actions of different inputs (the registry, the entry points). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each action's own types are checked by defineAction
export type AnyAction = OperatorAction<any, any>;

/** The declaration's types checked, and nothing else: `act` sees what `prepare` made of what `input` made. */
export function defineAction<I, T>(action: OperatorAction<I, T>): OperatorAction<I, T> {
  return action;
}

/** An action's input, checked: its value, or the refusal (bad input) the pipeline audits once the actor is known. */
export type CheckedInput<I> = { ok: true; value: I } | { ok: false; refusal: ActionRefusal };

/**
 * The one check of an action's input, without Redis: a terminal runs it before it connects (bad input changes
 * nothing, exit 64), then hands the result to runChecked; runAction does both in a row.
 */
export function checkActionInput<I>(action: OperatorAction<I, unknown>, input: Record<string, unknown>): CheckedInput<I> {
  const checked = checkInput(action.input, input);
  if (checked.ok) return checked;
  return {
    ok: false,
    refusal: new ActionRefusal('invalid', describeProblems(checked.problems), shownInput(input), null, checked.problems),
  };
}

/** Raw input as an audit entry records it: text and numbers, clipped (whatever else came is not the operator's to show). */
function shownInput(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input)
      .filter(([, value]) => typeof value === 'string' || typeof value === 'number')
      .map(([name, value]) => [name.slice(0, 50), typeof value === 'string' ? value.slice(0, 200) : value]),
  );
}

export type OutcomeKind = 'done' | 'duplicate' | 'conflict' | 'confirm' | 'unauthorized' | RefusalKind;

/** What the adapters render: HTML flash + redirect or a confirmation page, JSON, or a terminal line and exit code. */
export interface ActionOutcome {
  kind: OutcomeKind;
  /** The HTTP status that says it (the CLI maps kinds to exit codes). */
  status: number;
  ok: boolean;
  message: string;
  taskId: string | null;
  enqueued: boolean;
  data: Record<string, unknown>;
  /** What was acted upon (the confirmation page's table). */
  fields: Record<string, unknown>;
  /** Set for kind 'confirm'. */
  description?: string;
  /** Set for kind 'invalid' when the action names the fields at fault. */
  problems?: Record<string, string>;
}

const STATUS: Record<OutcomeKind, number> = {
  done: 200,
  duplicate: 200,
  // The key was used for another request: answering "duplicate" would silently drop this one.
  conflict: 409,
  confirm: 200,
  unauthorized: 403,
  invalid: 422,
  'not-found': 404,
  refused: 409,
};

/** Who submitted a task, as the task records it: the console's user, or `user@host (cli)` from a terminal. */
export function submitter(actor: Actor): string | undefined {
  if (actor.via !== 'terminal') return actor.user ?? undefined;
  return `${actor.user}@${actor.address.replace(/^cli@/, '')} (cli)`;
}

function outcome(kind: OutcomeKind, message: string, rest: Partial<ActionOutcome> = {}): ActionOutcome {
  return {
    kind,
    status: STATUS[kind],
    ok: kind === 'done' || kind === 'duplicate' || kind === 'confirm',
    message,
    taskId: null,
    enqueued: false,
    data: {},
    fields: {},
    ...rest,
  };
}

/** The role an actor acts with (see Actor.role). */
export function actorRole(actor: Actor): Role {
  if (actor.role) return actor.role;
  if (!actor.authorized) return 'viewer';
  return actor.via === 'terminal' ? 'admin' : 'operator';
}

/** Runs one action for one request: checks its input, then runChecked. */
export function runAction<I, T>(deps: ActionDeps, action: OperatorAction<I, T>, request: ActionRequest): Promise<ActionOutcome> {
  return runChecked(deps, action, request, checkActionInput(action, request.input));
}

/** What a browser that must bring a one-time token (a form's) and did not is told, under the token's field. */
export const TOKEN_FIELD = 'submission_token';

/**
 * Runs one action for one request whose input was checked. Expected refusals come back as outcomes; anything else
 * (Redis down) is thrown, after an audit attempt.
 */
export async function runChecked<I, T>(
  deps: ActionDeps,
  action: OperatorAction<I, T>,
  request: ActionRequest,
  checked: CheckedInput<I>,
): Promise<ActionOutcome> {
  const { actor } = request;
  const asked = actor.askedBy === undefined ? {} : { asked_by: actor.askedBy };
  const entry = (result: AuditOutcome, detail: string, fields: Record<string, unknown>, taskId: string | null = null): NewAuditEntry => ({
    user: actor.user ?? 'anonymous',
    address: actor.address,
    action: action.name,
    fields: { ...fields, ...asked, via: request.entry },
    taskId,
    outcome: result,
    detail,
  });
  const audit = (result: AuditOutcome, detail: string, fields: Record<string, unknown>, taskId: string | null = null) =>
    writeAudit(deps.redis, deps.config, entry(result, detail, fields, taskId));

  const needed = action.role ?? 'operator';
  if (!actor.authorized || !hasRole(actorRole(actor), needed)) {
    const only = needed === 'admin' ? ' (admins only)' : '';
    await audit(
      'unauthorized',
      actor.user ? `user ${actor.user} is not authorized to ${action.forbidden}${only}` : `no authenticated user may ${action.forbidden}`,
      shownInput(request.input),
    );
    const message = actor.user
      ? `${actor.user} is not allowed to ${action.forbidden}${only}. Ask an administrator to add you to the authorized users or groups. Nothing was done.`
      : `You are not allowed to ${action.forbidden}: it needs an authenticated, authorized user. Nothing was done.`;
    return outcome('unauthorized', message);
  }

  const refused = async (error: unknown, fields: Record<string, unknown>, taskId: string | null) => {
    if (!(error instanceof ActionRefusal)) throw error;
    const at = { ...fields, ...error.fields };
    await audit('rejected', error.message, at, error.taskId ?? taskId);
    return outcome(error.kind, error.message, { fields: at, taskId: error.taskId ?? taskId, problems: error.problems });
  };

  if (!checked.ok) return refused(checked.refusal, {}, null);
  // A browser's form is caught by its one-time token: without one it is an old or forged page, and a resubmission of
  // it could not be told from a second submission.
  if (action.once === 'submission token | Idempotency-Key' && actor.via === 'browser' && request.idempotencyKey === undefined)
    return refused(
      new ActionRefusal('invalid', `${TOKEN_FIELD} is missing or not valid`, {}, null, { [TOKEN_FIELD]: 'is missing or not valid' }),
      {},
      null,
    );
  let prepared: Prepared<T>;
  try {
    prepared = await action.prepare(deps, checked.value);
  } catch (error) {
    return refused(error, shownInput(request.input), null);
  }

  if (action.confirm && actor.via === 'browser' && !request.confirmed) {
    let preview: unknown;
    if (action.preview) {
      try {
        preview = await action.preview(deps, prepared);
      } catch (error) {
        // Redis away is the request's own trouble; anything else only leaves the preview out, with why.
        if (asRedisUnavailable(error, deps.config) instanceof RedisUnavailableError) throw error;
        preview = { problem: `the alert could not be previewed: ${(error as Error).message}` };
      }
    }
    return outcome('confirm', action.title, {
      fields: prepared.fields,
      description: prepared.description,
      taskId: prepared.taskId ?? null,
      data: preview === undefined ? {} : { preview },
    });
  }

  const key = prepared.idempotencyKey ?? (request.idempotencyKey === undefined ? undefined : clientKeyName(request.idempotencyKey));
  // A key the caller brings is bound to who used it for what; the action's own key (retry:<id>) says what already.
  const purpose: KeyPurpose = {
    user: prepared.idempotencyKey ? null : actor.user,
    action: action.name,
    fields: prepared.fields,
  };
  // The ID the new task will have, chosen now and recorded with the claim: a resubmission after a lost answer
  // enqueues under the same ID, which BullMQ keeps once.
  let taskId: string = randomUUID();
  /** What this request stored under the key (its claim), for releasing that claim and no other. */
  let claimed: string | undefined;
  const fp = key ? fingerprint(purpose) : '';
  // Before the first write: an answer that says "done" must not rest on writes a failover can lose (see replicated).
  const mark = markReplication(deps.client.redis);
  if (key) {
    const claim = await claimKey(deps.redis, deps.config, key, {
      purpose,
      fingerprint: fp,
      taskId,
      exists: async (id) => (await deps.client.queueOf(id)) !== undefined,
    });
    if (claim.kind === 'conflict') {
      const first = claim.taskId ? ` (task ${claim.taskId})` : '';
      const message = `This idempotency key was already used for another request${first}; it differed in ${claim.differs.join(', ')}. Nothing was done: send a new key for a new request.`;
      await audit('rejected', message, prepared.fields, claim.taskId);
      return outcome('conflict', message, {
        fields: prepared.fields,
        taskId: claim.taskId,
        data: { firstTaskId: claim.taskId, differs: claim.differs },
      });
    }
    if (claim.kind === 'done') {
      const message =
        action.duplicate?.(prepared, claim.taskId) ??
        (claim.taskId ? `Already done as task ${claim.taskId}; nothing was done again.` : 'Already done; nothing was done again.');
      await audit('duplicate', message, prepared.fields, claim.taskId);
      const data = claim.taskId ? await replicated(deps, mark, true) : {};
      return outcome('duplicate', message, { fields: prepared.fields, taskId: claim.taskId, enqueued: claim.taskId !== null, data });
    }
    taskId = claim.taskId;
    claimed = claim.claim;
  }

  let done: Done;
  try {
    done = await action.act({ ...deps, client: deps.client.withTaskId(taskId) }, prepared, actor);
  } catch (thrown) {
    // A Redis command of the action's own that went out unanswered makes its outcome unknown too.
    const error = asRedisUnavailable(thrown, deps.config);
    // Known that nothing was done: the operator may simply try again. When it cannot be known (a command went out
    // and no answer came), the claim stays: a resubmission finds the task, or takes the claim over with the same ID.
    const uncertain = error instanceof RedisUnavailableError && error.uncertain;
    if (key && claimed && !uncertain) {
      // Released even when Redis is away right now (then once it is back), so that the key is not left "pending" for a
      // day: a retry would take it over anyway, but it would say "pending" meanwhile. A refusal waits for its release
      // (Redis is there: one round trip), so that a retry at once finds the key free; Redis trouble does not.
      const release = claimed;
      const releasing = untilWritten(deps.redis, () => releaseKey(deps.redis, deps.config, key, release), { idempotent: true }).then(
        (result) => {
          if (!result.written)
            logger('actions').warn(
              { action: action.name, err: { message: (result.error as Error)?.message } },
              'a claim of an idempotency key whose action was not done could not be released; a retry takes it over after the grace',
            );
        },
      );
      if (!(error instanceof RedisUnavailableError)) await releasing;
    }
    if (error instanceof ActionRefusal) return refused(error, prepared.fields, prepared.taskId ?? null);
    // Not awaited: with Redis hung, the audit entry would wait out its own timeout before the operator hears anything.
    void audit('unavailable', (error as Error).message, prepared.fields, prepared.taskId ?? null).catch(() => {});
    throw error;
  }

  // The key's record and the audit entry go out together (one round trip): neither depends on the other's answer.
  // Not an ioredis pipeline: building one on a connection that carries BullMQ's scripts costs more than it saves.
  const record = auditRecord(deps.config, entry(done.audit ?? 'accepted', done.message, prepared.fields, done.taskId ?? null));
  const writes: { what: string; write: () => Promise<unknown> }[] = [
    ...(key ? [{ what: 'key record', write: () => recordKey(deps.redis, deps.config, key, purpose, done.taskId ?? null, fp) }] : []),
    // Sent again, the entry is written only if the first try did not land (its answer may be what was lost).
    { what: 'audit entry', write: () => writeAuditRecord(deps.redis, deps.config, record, true) },
  ];
  const written = await Promise.allSettled(
    sentTogether(deps.redis, () => [
      key ? recordKey(deps.redis, deps.config, key, purpose, done.taskId ?? null, fp) : undefined,
      writeAuditRecord(deps.redis, deps.config, record),
    ]),
  );
  const lost = writes.filter((_, i) => written[key ? i : i + 1].status === 'rejected');
  if (lost.length) {
    // It was done. Answering "failed" now would be a lie, and the operator's second try would do it twice
    // (an alert sent twice): answer anyway, and write what is missing once Redis takes it (a resubmission that finds
    // the claim still pending meanwhile finds its task and answers with it).
    const log = logger('actions');
    const about = { action: action.name, taskId: done.taskId, user: actor.user };
    const first = written.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    log.warn(
      { ...about, lost: lost.map((l) => l.what), err: { message: (first.reason as Error)?.message } },
      `action done, but its ${lost.map((l) => l.what).join(' and ')} ${lost.length > 1 ? 'were' : 'was'} not written yet: tried again until Redis takes it`,
    );
    for (const { what, write } of lost) {
      void untilWritten(deps.redis, write, { idempotent: true }).then((result) => {
        if (result.written) log.info({ ...about, attempts: result.attempts }, `${what} written after Redis trouble`);
        else log.error({ ...about, err: { message: (result.error as Error)?.message } }, `${what} of a done action could not be written`);
      });
    }
  }
  const replication = done.enqueued ? await replicated(deps, mark, key !== undefined) : {};
  return outcome('done', done.message, {
    status: done.enqueued ? 202 : 200,
    taskId: done.taskId ?? null,
    enqueued: done.enqueued ?? false,
    data: { ...done.data, ...replication },
    fields: prepared.fields,
  });
}

/**
 * Redis replicates asynchronously: a master that dies just after answering takes writes its replica never got, and a
 * failover to that replica forgets the task. Before a submission is answered as enqueued (or as a duplicate of a
 * task), one replica confirms that it has the writes when the master has replicas; `replicas` (how many confirmed, 0:
 * the master has none) goes into the answer. Unconfirmed, it is not known whether the submission will survive a
 * failover: the answer is the 503 that says so, and resubmitting the same key is safe (it finds the task, or makes it
 * under the claimed ID); without a key, the 202 says `replicas: null`.
 */
async function replicated(deps: ActionDeps, mark: ReplicationMark, keyed: boolean): Promise<Record<string, unknown>> {
  const replication = await confirmReplication(mark, deps.config);
  if (replication.state === 'off') return {};
  if (replication.state === 'alone') return { replicas: 0 };
  if (replication.state === 'confirmed') return { replicas: replication.replicas };
  // Without a key a resubmission would be a second submission: answer that it was taken, and that no replica is known
  // to have it (replicas: null), rather than invite a duplicate.
  if (!keyed) return { replicas: null };
  logger('actions').warn({ reason: replication.reason }, 'no replica confirmed a submission: answered 503, not known');
  throw new RedisUnavailableError(
    `no replica confirmed the submission's writes (${replication.reason})`,
    true,
    'The Redis master took this, but no replica confirmed it in time, so it is not known whether it would survive a failover of Redis. Submitting the same form again (or the same Idempotency-Key) is safe: it is never done twice.',
  );
}
