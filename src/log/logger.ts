// Structured logging with pino: one root logger per process (terminal and a rotated file), children per component; secrets are redacted.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino, destination, multistream, type Logger, type StreamEntry, type DestinationStream, type Level } from 'pino';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { getConfig } from '../config/index.js';
import { CENSOR, isSecretKey, scrubValue, secretValues, textScrubber } from './redact.js';
import { processRole, terminalStream, type ProcessRole } from './process-role.js';

const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  'cookie',
  '*.cookie',
  'secret',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'secretKey',
  '*.secretKey',
  'apiTokens',
  '*.apiTokens',
  'dsn',
  '*.dsn',
  'sentryDsn',
  '*.sentryDsn',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  'headers["set-cookie"]',
];

export interface LoggerOptions {
  level: string;
  role: ProcessRole;
  /** Terminal output: servers use stdout (their stdout carries nothing else), one-shot commands stderr. */
  console: 'stdout' | 'stderr' | false;
  file?: { dir: string; maxBytes: number; maxFiles: number };
  /** Secret values to cut out of every line (from the configuration). */
  secrets: string[];
  /** Gets every record at warning level or above (already redacted), e.g. to send it to Sentry. */
  onWarning?: (record: Record<string, unknown>) => void;
}

export interface BuiltLogger {
  logger: Logger;
  /** Path of the current log file, when there is one. */
  file: string | undefined;
  /** Writes out what is buffered (terminal and file); resolves once the file has it. */
  flush(): Promise<void>;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

export function logFileName(role: ProcessRole): string {
  return `gwqueue${role === 'gwqueue' ? '' : `-${role}`}.log`;
}

function openLogFile(options: NonNullable<LoggerOptions['file']>, role: ProcessRole): RotatingFileStream | undefined {
  const name = logFileName(role);
  try {
    mkdirSync(options.dir, { recursive: true });
    // Classic logrotate naming: name.log is current, name.log.1 the newest rotated one, up to name.log.N.
    const stream = createStream(name, { path: options.dir, size: `${options.maxBytes}B`, rotate: options.maxFiles, mode: 0o640 });
    stream.on('error', (error) => {
      process.stderr.write(`gwqueue: cannot write the log file ${path.join(options.dir, name)}: ${error.message}\n`);
    });
    return stream;
  } catch (error) {
    // A plugin run by another user (nagios, munin) may not be allowed to write there: log to the terminal only.
    if (process.env.GWQUEUE_LOG_LEVEL === 'debug') process.stderr.write(`gwqueue: no log file: ${(error as Error).message}\n`);
    return undefined;
  }
}

/** Builds a logger from explicit options (the root logger uses the configuration; tests call it directly). */
export function buildLogger(options: LoggerOptions): BuiltLogger {
  const scrub = textScrubber(options.secrets);
  const streams: StreamEntry[] = [];
  const level = options.level as Level;
  const silent = options.level === 'silent';
  const terminal = !silent && options.console ? destination({ dest: options.console === 'stdout' ? 1 : 2, sync: false }) : undefined;
  if (terminal) streams.push({ level, stream: terminal });
  const file = !silent && options.file ? openLogFile(options.file, options.role) : undefined;
  if (file) streams.push({ level, stream: file as unknown as DestinationStream });
  if (!silent && options.onWarning) {
    const onWarning = options.onWarning;
    streams.push({
      level: 'warn',
      stream: {
        write(line: string) {
          try {
            onWarning(JSON.parse(line) as Record<string, unknown>);
          } catch {}
        },
      },
    });
  }
  const logger = pino(
    {
      level: options.level,
      redact: { paths: REDACT, censor: CENSOR },
      base: { pid: process.pid, hostname: os.hostname(), role: options.role },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Errors are turned into {type, message, stack} by scrubValue below, which keeps their real type name.
      serializers: { err: (value: unknown) => value },
      formatters: {
        // Secret-named keys at any depth, and secrets inside strings (error messages, URLs, stacks).
        log: (object) => scrubValue(object, scrub) as Record<string, unknown>,
      },
      hooks: {
        // Last line of defence: the serialized line, message included, before any stream sees it.
        streamWrite: (line) => scrub(line),
      },
    },
    multistream(streams.length ? streams : [{ level: 'fatal', stream: { write() {} } }]),
  );
  const filePath = file && options.file ? path.join(options.file.dir, logFileName(options.role)) : undefined;
  return {
    logger,
    file: filePath,
    async flush() {
      try {
        terminal?.flushSync();
      } catch {}
      if (file && !file.writableEnded)
        await new Promise<void>((resolve) => (file.writableNeedDrain ? file.once('drain', () => resolve()) : resolve()));
    },
    async close() {
      try {
        terminal?.flushSync();
      } catch {}
      if (file && !file.writableEnded) await new Promise<void>((resolve) => file.end(() => resolve()));
    },
  };
}

let built: BuiltLogger | undefined;
let warningSink: ((record: Record<string, unknown>) => void) | undefined;

/** Who gets every record at warning level or above: Sentry registers itself here (the logger sits below it). */
export function setWarningSink(sink: ((record: Record<string, unknown>) => void) | undefined): void {
  warningSink = sink;
}

/** The process's root logger: JSON lines to the terminal and/or a rotated file, as configured. */
export function rootLogger(): Logger {
  if (!built) {
    const config = getConfig();
    const { log } = config.observability;
    built = buildLogger({
      level: config.logLevel,
      role: processRole(),
      console: log.console ? terminalStream(processRole()) : false,
      file: log.file ? { dir: log.dir, maxBytes: log.maxBytes, maxFiles: log.maxFiles } : undefined,
      secrets: secretValues(config),
      onWarning: (record) => warningSink?.(record),
    });
  }
  return built.logger;
}

export function logger(component: string): Logger {
  return rootLogger().child({ component });
}

/** Writes out buffered log lines (before exiting). */
export async function flushLogs(): Promise<void> {
  await built?.flush();
}

/** Flushes and closes the log file (at the very end of a process). */
export async function closeLogs(): Promise<void> {
  await built?.close();
}

export { isSecretKey };
export { setProcessRole, processRole, type ProcessRole } from './process-role.js';
