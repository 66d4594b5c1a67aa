// Runs the real console (`gwqueue web` over dist/) as a child process on a free loopback port, for end-to-end tests.
import type { ChildProcess } from 'node:child_process';
import { startCli } from './cli.js';

export interface ConsoleProcess {
  /** http://127.0.0.1:<port>, the address the console printed once it listened. */
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s; safe to call twice or after a crash. */
  stop(): Promise<void>;
}

/** `env` is passed on top of process.env: at least REDIS_URL and GWQUEUE_PREFIX; GWQUEUE_ENV defaults to test. */
export async function startConsoleProcess(env: Record<string, string>, options: { timeoutMs?: number } = {}): Promise<ConsoleProcess> {
  const started = await startCli(
    ['web', '--port', '0', '--host', '127.0.0.1'],
    { GWQUEUE_ENV: 'test', ...env },
    /console at http:\/\/\S+/,
    options.timeoutMs ?? 20_000,
  );
  const url = /console at (http:\/\/\S+)/.exec(started.output())![1];
  const { child, exited } = started;
  return {
    url,
    child,
    output: started.output,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The headers of an API client's form POST: its token, a JSON answer, and an Idempotency-Key for resubmissions. */
export function apiFormHeaders(token: string, idempotencyKey: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded',
    'idempotency-key': idempotencyKey,
  };
}
