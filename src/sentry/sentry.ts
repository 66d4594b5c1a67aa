// Sentry reporting with the official @sentry/node SDK: task failures, web errors, crashes and warnings; a no-op without SENTRY_DSN.
import os from 'node:os';
import type { Config } from '../config/index.js';
import { VERSION } from '../version.js';
import { scrubValue, secretValues, textScrubber } from '../log/redact.js';
import { setWarningSink } from '../log/logger.js';
import { processRole, type ProcessRole } from '../log/process-role.js';

type SentryModule = typeof import('@sentry/node');
type SentryEvent = import('@sentry/node').Event;

/** Loaded on first use only when a DSN is configured, so that commands without Sentry pay nothing for it. */
let loading: Promise<SentryModule | undefined> | undefined;
let scrubText: (text: string) => string = (text) => text;

export const SENTRY_RELEASE = `gwqueue@${VERSION}`;

/** Strips what must not leave the machine: cookies, auth headers, request bodies, and secrets anywhere in text. */
export function scrubEvent<E extends SentryEvent>(event: E): E {
  if (event.request) {
    delete event.request.cookies;
    delete event.request.data;
    if (event.request.headers) event.request.headers = scrubValue(event.request.headers, scrubText) as Record<string, string>;
    if (typeof event.request.query_string === 'string') event.request.query_string = scrubText(event.request.query_string);
    if (event.request.url) event.request.url = scrubText(event.request.url);
  }
  if (event.message) event.message = scrubText(event.message);
  for (const exception of event.exception?.values ?? []) {
    if (exception.value) exception.value = scrubText(exception.value);
  }
  if (event.extra) event.extra = scrubValue(event.extra, scrubText) as Record<string, unknown>;
  if (event.contexts) event.contexts = scrubValue(event.contexts, scrubText) as typeof event.contexts;
  for (const crumb of event.breadcrumbs ?? []) {
    if (crumb.message) crumb.message = scrubText(crumb.message);
    if (crumb.data) crumb.data = scrubValue(crumb.data, scrubText) as Record<string, unknown>;
  }
  return event;
}

/**
 * Processes whose life is a release-health session: the resident ones (and library use, e.g. a worker embedded in a
 * test). A one-shot command (call, result, nagios run every minute…) lasts a second: a session of its own would count
 * one "healthy user" per invocation and drown the crash-free rate of the processes that matter.
 */
const SESSION_ROLES: readonly ProcessRole[] = ['worker', 'web', 'dev', 'flower', 'gwqueue'];

/**
 * Starts Sentry once per process when the configuration has a DSN: environment = profile, release = gwqueue@version.
 * Process-wide handlers for crashes are ours (crash.ts), so the SDK's own are left out. Resolves true when active.
 * Release health: one session per resident process, "crashed" only when the process crashes (captureCrash); a task
 * failure or a web 500 is a handled error, which marks it "errored"; a clean stop ends it "exited" (endSentrySession).
 */
export function initSentry(config: Config): Promise<boolean> {
  const dsn = config.observability.sentryDsn;
  if (!dsn && !loading) return Promise.resolve(false);
  if (!loading) setWarningSink(forwardLogRecord);
  loading ??= (async () => {
    const Sentry = await import('@sentry/node');
    scrubText = textScrubber(secretValues(config));
    Sentry.init({
      dsn,
      environment: config.profile,
      release: SENTRY_RELEASE,
      serverName: os.hostname(),
      // No cookies, bodies, local variables or auth headers; the user is set explicitly on web errors.
      dataCollection: {
        userInfo: false,
        cookies: false,
        httpBodies: [],
        stackFrameVariables: false,
        httpHeaders: { request: { allow: ['host', 'user-agent', 'accept', 'content-type', 'referer'] }, response: false },
      },
      // Loaded after express and the rest: runtime module hooks would come too late and are not needed for errors.
      enableRuntimeChannelInjection: false,
      integrations: (defaults) =>
        defaults.filter(
          (i) =>
            i.name !== 'OnUncaughtException' &&
            i.name !== 'OnUnhandledRejection' &&
            (i.name !== 'ProcessSession' || SESSION_ROLES.includes(processRole())),
        ),
      beforeSend: (event) => scrubEvent(event),
      beforeBreadcrumb: (crumb) => {
        if (crumb.message) crumb.message = scrubText(crumb.message);
        if (crumb.data) crumb.data = scrubValue(crumb.data, scrubText) as Record<string, unknown>;
        return crumb;
      },
    });
    return Sentry;
  })().catch((error: Error) => {
    process.stderr.write(`gwqueue: Sentry could not start: ${error.message}\n`);
    return undefined;
  });
  return loading.then(Boolean);
}

/** Runs `fn` with the SDK once it is loaded; in order, so a retry's breadcrumb precedes the final failure's event. */
function withSentry(fn: (Sentry: SentryModule) => void): void {
  if (!loading) return;
  void loading.then((Sentry) => {
    if (!Sentry) return;
    try {
      fn(Sentry);
    } catch {}
  });
}

export interface TaskFailure {
  task: string;
  id: string;
  queue: string;
  attempt: number;
  maxAttempts: number;
  worker: string;
  args: unknown;
  kwargs: unknown;
}

/** The task's own error: the worker wraps a final failure in BullMQ's UnrecoverableError, with the original as cause. */
export function taskError(error: Error): Error {
  return error.name === 'UnrecoverableError' && error.cause instanceof Error ? error.cause : error;
}

/** The HTTP answer an error (or one of its causes) carries, e.g. GraceDB's body on a GraceDbError. */
export function httpResponseOf(error: unknown): { status?: number; body: string } | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    const { responseBody, status } = current as Error & { responseBody?: unknown; status?: unknown };
    if (typeof responseBody === 'string') return { ...(typeof status === 'number' ? { status } : {}), body: responseBody };
  }
  return undefined;
}

/**
 * A task failed for good: one event, tagged with the task, its queue, the worker and the attempt. The exception is the
 * task's own error (type and message), not BullMQ's UnrecoverableError; a failed HTTP request's response body (GraceDB's
 * answer, already cut to a few KiB) is attached as the `http_response` context and the `response_body` extra.
 */
export function captureTaskFailure(failure: TaskFailure, error: Error): void {
  const own = taskError(error);
  const response = httpResponseOf(own);
  withSentry((Sentry) =>
    Sentry.withScope((scope) => {
      scope.setLevel('error');
      scope.setTags({
        component: 'worker',
        task: failure.task,
        task_id: failure.id,
        queue: failure.queue,
        worker: failure.worker,
        attempt: String(failure.attempt),
      });
      scope.setContext('task', { ...failure, args: scrubValue(failure.args, scrubText), kwargs: scrubValue(failure.kwargs, scrubText) });
      if (response) {
        scope.setContext('http_response', response);
        scope.setExtra('response_body', response.body);
      }
      scope.setTransactionName(failure.task);
      // Handled: the worker caught it, recorded it and goes on. The process's session becomes "errored", not "crashed".
      Sentry.captureException(own, { mechanism: { type: 'gwqueue.task', handled: true } });
    }),
  );
}

/** A transient failure that will be retried: a breadcrumb, not an event (the final failure, if any, carries it). */
export function recordTaskRetry(failure: TaskFailure, error: Error): void {
  withSentry((Sentry) =>
    Sentry.addBreadcrumb({
      category: 'task.retry',
      level: 'warning',
      message: `${failure.task} ${failure.id} failed on attempt ${failure.attempt} of ${failure.maxAttempts}, will retry: ${error.message}`,
      data: { task: failure.task, id: failure.id, queue: failure.queue, attempt: failure.attempt, worker: failure.worker },
    }),
  );
}

/** An unhandled error in a web request (a 500): one event with the method, path and user. */
export function captureWebError(error: unknown, request: { method: string; path: string; user: string; status: number }): void {
  withSentry((Sentry) =>
    Sentry.withScope((scope) => {
      scope.setTags({ component: 'web', method: request.method, status: String(request.status) });
      scope.setUser(request.user === 'anonymous' ? null : { username: request.user });
      scope.setContext('request', { method: request.method, path: request.path, status: request.status });
      scope.setTransactionName(`${request.method} ${request.path}`);
      // Handled by the error handler (a 500 page, the console goes on): "errored", not a crash of the process.
      Sentry.captureException(error, { mechanism: { type: 'gwqueue.web', handled: true } });
    }),
  );
}

/** A crash (uncaught exception, unhandled rejection): one fatal event, sent before the process exits. */
export async function captureCrash(error: unknown, origin: string, role: string): Promise<void> {
  withSentry((Sentry) =>
    Sentry.withScope((scope) => {
      scope.setLevel('fatal');
      scope.setTags({ component: role, origin });
      Sentry.captureException(error, { mechanism: { type: origin, handled: false } });
    }),
  );
  await flushSentry(3000);
}

const LEVELS: [number, 'fatal' | 'error' | 'warning'][] = [
  [60, 'fatal'],
  [50, 'error'],
  [40, 'warning'],
];
const THROTTLE_MS = 60_000;
const lastSent = new Map<string, number>();

/** Reported with more context elsewhere: task failures and retries (by the worker), 500s (by the error handler), crashes. */
function reportedElsewhere(record: Record<string, unknown>): boolean {
  return (
    (record.task !== undefined && record.id !== undefined) ||
    (record.status === 500 && record.method !== undefined) ||
    record.reported === true
  );
}

/**
 * A log record at warning level or above (already redacted): a Sentry event at the same level. The same message from
 * the same component is sent at most once a minute, so a component stuck in a retry loop cannot flood Sentry.
 */
export function forwardLogRecord(record: Record<string, unknown>): void {
  if (!loading || reportedElsewhere(record)) return;
  const levelNumber = Number(record.level);
  const level = LEVELS.find(([min]) => levelNumber >= min)?.[1];
  if (!level) return;
  const component = typeof record.component === 'string' ? record.component : 'gwqueue';
  const message = typeof record.msg === 'string' ? record.msg : 'log record';
  const key = `${component}|${message}`;
  const now = Date.now();
  if ((lastSent.get(key) ?? 0) > now - THROTTLE_MS) return;
  lastSent.set(key, now);
  const { err, msg: _msg, level: _level, time: _time, pid: _pid, hostname: _hostname, ...fields } = record;
  withSentry((Sentry) =>
    Sentry.withScope((scope) => {
      scope.setLevel(level);
      scope.setTags({ component, logger: 'pino' });
      scope.setContext('log', fields);
      const e = err as { message?: string; stack?: string; type?: string } | undefined;
      if (e && typeof e.message === 'string') {
        const error = new Error(`${message}: ${e.message}`);
        if (e.stack) error.stack = `${error.name}: ${error.message}\n${e.stack.split('\n').slice(1).join('\n')}`;
        Sentry.captureException(error, { mechanism: { type: 'gwqueue.log', handled: true } });
      } else {
        Sentry.captureMessage(message, level);
      }
    }),
  );
}

/** A clean stop: the process's session ends "exited" (or stays "errored"), sent with the next flush. */
export function endSentrySession(): void {
  withSentry((Sentry) => Sentry.endSession());
}

/** Waits until queued events are sent (at most `timeoutMs`). */
export async function flushSentry(timeoutMs = 2000): Promise<void> {
  const Sentry = await loading;
  if (Sentry) await Sentry.flush(timeoutMs).catch(() => false);
}

export function sentryActive(): boolean {
  return loading !== undefined;
}
