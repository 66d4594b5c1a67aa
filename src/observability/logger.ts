// Structured logging with pino: one root logger per process, children per component; secrets are redacted.
import { pino, destination, type Logger } from 'pino';
import { getConfig } from '../config/index.js';

const REDACT = [
  'password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization',
  'headers.cookie', 'cookie', '*.cookie', 'secret', '*.secret', 'req.headers.authorization', 'req.headers.cookie',
];

let root: Logger | undefined;

/** The process's root logger: JSON lines on stderr (so CLI output on stdout stays clean). */
export function rootLogger(): Logger {
  root ??= pino(
    { level: getConfig().logLevel, redact: { paths: REDACT, censor: '[redacted]' }, base: { pid: process.pid } },
    destination({ dest: 2, sync: false }),
  );
  return root;
}

export function logger(component: string): Logger {
  return rootLogger().child({ component });
}
