// Shared CLI plumbing: exit codes (sysexits, as Celery), one error-to-exit-code mapping, output helpers.
import type { Config } from '../config/index.js';
import type { TaskClient } from '../queue/client.js';
import { processRedactor } from '../log/redact.js';

export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 64,
  DATA_ERROR: 65,
  NO_INPUT: 66,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  OS_ERROR: 71,
  CANT_CREATE: 73,
  TEMPFAIL: 75,
  CONFIG: 78,
} as const;

/** An error the user can fix; printed as one line, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.USAGE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Maps any error to (one line, exit code). Names are compared so that lazy imports are not needed here. */
export function exitCodeFor(error: unknown): { message: string; code: number } {
  const e = error as Error & { exitCode?: number };
  const message = e instanceof Error ? e.message : String(error);
  switch (e?.name) {
    case 'CliError':
      return { message, code: e.exitCode ?? EXIT.USAGE };
    case 'ConfigError':
      return { message: `configuration error: ${message}`, code: EXIT.CONFIG };
    case 'RedisUnavailableError': {
      const { explanation } = e as Error & { explanation?: string };
      return { message: explanation ? `${message}: ${explanation}` : message, code: EXIT.UNAVAILABLE };
    }
    case 'UnknownTaskError':
    case 'TaskArgumentError':
    case 'CanvasError':
      return { message, code: EXIT.USAGE };
    case 'UnknownTaskIdError':
      return { message, code: EXIT.NO_INPUT };
    case 'TaskTimeoutError':
      return { message, code: EXIT.TEMPFAIL };
    case 'TaskFailedError':
      return { message: `task failed: ${message}`, code: EXIT.FAILURE };
    case 'EmbeddedRedisError':
      return { message, code: EXIT.UNAVAILABLE };
    // A port in use, not allowed, or an address not on this machine: the long-running command cannot start.
    case 'ListenError':
      return { message, code: EXIT.OS_ERROR };
    // SIGTERM/SIGINT before the start finished: what had started is closed; a stop asked for is not a failure.
    case 'StartStopped':
      return { message, code: EXIT.OK };
    default:
      return { message: `internal error: ${message} (set GWQUEUE_LOG_LEVEL=debug for details)`, code: EXIT.SOFTWARE };
  }
}

/**
 * An error message as one short line: control and bidi-override characters (which a bad argument may carry into the
 * message) escaped, and a message longer than 400 characters shortened in the middle.
 */
export function oneLine(message: string): string {
  const escaped = terminalText(message);
  return escaped.length > 400 ? `${escaped.slice(0, 240)}…${escaped.slice(-150)}` : escaped;
}

/**
 * Text a task or an argument supplied (an error, a stack trace), made safe for a terminal: secrets redacted as in the
 * logs (log/redact.ts), control characters (ESC of an escape sequence among them) and bidi overrides shown as \uXXXX, so
 * nothing printed can recolour, move the cursor or reorder the screen. `multiline` keeps newlines and tabs (a stack
 * trace); otherwise they are shown as \n, \t.
 */
export function terminalText(text: string, multiline = false): string {
  const redacted = processRedactor().text(text);
  // eslint-disable-next-line no-control-regex
  return redacted.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) =>
    multiline && (c === '\n' || c === '\t')
      ? c
      : c === '\n'
        ? '\\n'
        : c === '\r'
          ? '\\r'
          : c === '\t'
            ? '\\t'
            : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Wraps a command's action: every failure becomes one line on stderr and the mapped exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    let code: number;
    try {
      code = (await fn(...args)) ?? EXIT.OK;
    } catch (error) {
      const mapped = exitCodeFor(error);
      process.stderr.write(`gwqueue: ${oneLine(mapped.message)}\n`);
      if (mapped.code === EXIT.SOFTWARE && process.env.GWQUEUE_LOG_LEVEL === 'debug')
        process.stderr.write(`${terminalText(String((error as Error).stack), true)}\n`);
      code = mapped.code;
      // Redis is away: connections still trying to reach it would hold the process past its time limit.
      if (code === EXIT.UNAVAILABLE) setTimeout(() => process.exit(code), 50).unref();
    }
    process.exitCode = code;
  };
}

/**
 * The end of a long-running command (dev, worker, web, flower; main.ts calls it once the command returned, whether it
 * stopped or could not start): its log written out (at most 0.05 s), then the process
 * leaves even if a connection still reconnecting to a Redis that is away, or a socket to a hung one, would hold it.
 */
export async function leaveAfterStop(code: number): Promise<number> {
  const [{ flushLogs }, sentry] = await Promise.all([import('../log/logger.js'), import('../sentry/sentry.js')]);
  // With Sentry: the process's release-health session ends "exited" (a clean stop), sent within a second at most.
  if (sentry.sentryActive()) {
    sentry.endSentrySession();
    await sentry.flushSentry(1000);
  }
  await Promise.race([flushLogs().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 50).unref())]);
  setTimeout(() => process.exit(code), 50).unref();
  return code;
}

/** A line of a command's output: whatever a task put in it (a result, an error), no secret of the configuration. */
export function print(line: string): void {
  process.stdout.write(`${processRedactor().text(line)}\n`);
}

/** Loads config, the task registry and a connected producer client; the client is closed afterwards. */
export async function withClient<T>(
  fn: (client: TaskClient, config: Config) => Promise<T>,
  options: { allTasks?: boolean } = {},
): Promise<T> {
  const [{ getConfig }, { connectClient }] = await Promise.all([
    import('../config/index.js'),
    import('../queue/client.js'),
    // `call` loads only the module of the task it sends (tasks/load.ts); the others need the whole registry.
    options.allTasks === false ? undefined : import('../tasks/index.js'),
  ]);
  const config = getConfig();
  // REDIS_CONNECT_TIMEOUT_MS counts from the process's start, so a slow start does not lengthen the bound; but a start
  // that took nearly all of it (a loaded machine) still leaves 1.5 s to reach a healthy Redis, not a false exit 69.
  const client = await connectClient(config, { waitMs: Math.max(1500, config.redis.connectTimeoutMs - performance.now()) });
  let away = false;
  try {
    return await fn(client, config);
  } catch (error) {
    // A command that went unanswered (REDIS_COMMAND_TIMEOUT_MS: Redis hung mid-command) or a connection lost on the
    // way is Redis being away (exit 69), not an internal error.
    const [{ asRedisUnavailable }, { RedisUnavailableError }] = await Promise.all([
      import('../redis/connection.js'),
      import('../redis/errors.js'),
    ]);
    const mapped = asRedisUnavailable(error, config);
    away = mapped instanceof RedisUnavailableError;
    throw mapped;
  } finally {
    // Closing the queues and queue events waits for a Redis that is hung or gone: not at all when it is known to be
    // away, else 0.3 s, then leave without it.
    let timer: NodeJS.Timeout | undefined;
    const closed =
      !away &&
      (await Promise.race([
        client.close().then(
          () => true,
          () => true,
        ),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 300))),
      ]));
    clearTimeout(timer);
    if (!closed) {
      client.redis.disconnect();
      // The queue-events connection still waiting for Redis would hold the process: leave once the answer is out.
      setTimeout(() => process.exit(process.exitCode ?? EXIT.UNAVAILABLE), 50).unref();
    }
  }
}

/** Parses a JSON option (`--args`, `--kwargs`), or `@path` to read it from a file; names the option on error. */
export async function jsonOption(option: string, raw: string | undefined, kind: 'array' | 'object'): Promise<unknown> {
  if (raw === undefined) return kind === 'array' ? [] : {};
  let text = raw;
  if (raw.startsWith('@')) {
    const { readFile } = await import('node:fs/promises');
    try {
      text = await readFile(raw.slice(1), 'utf8');
    } catch (error) {
      throw new CliError(`${option}: cannot read ${raw.slice(1)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, EXIT.NO_INPUT);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${option} is not valid JSON: ${(error as Error).message}`);
  }
  const isArray = Array.isArray(value);
  if (kind === 'array' && !isArray) throw new CliError(`${option} must be a JSON array, e.g. '["S240101a", 1]'`);
  if (kind === 'object' && (isArray || value === null || typeof value !== 'object'))
    throw new CliError(`${option} must be a JSON object, e.g. '{"key": "value"}'`);
  return value;
}
