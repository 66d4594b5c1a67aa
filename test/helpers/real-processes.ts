// The test environment of real processes: the in-process base (Redis, config, client) and the real `gwqueue web` over dist/ on loopback; other `gwqueue` commands a test runs (test/helpers/cli.ts) join it through `env`.
import type { ChildProcess } from 'node:child_process';
import { startCli } from './cli.js';
import { startInProcess, type InProcess, type InProcessOptions } from './in-process.js';

/** A running `gwqueue` command. */
interface GwqueueProcess {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s; safe to call twice or after a crash. */
  stop(): Promise<void>;
}

/** The console process. */
export interface ConsoleProcess extends GwqueueProcess {
  /** http://127.0.0.1:<port>, the address the console printed once it listened. */
  url: string;
}

export interface ProcessesOptions extends InProcessOptions {
  /**
   * Starts the console as `gwqueue web`; `env` adds settings for it alone, `timeoutMs` bounds its start. `env` of
   * the options (not testConfig's quick timings) is what the processes get, with REDIS_URL, GWQUEUE_PREFIX and GWQUEUE_ENV.
   */
  web?: boolean | { env?: Record<string, string>; timeoutMs?: number };
}

export interface Processes extends Omit<InProcess, 'web'> {
  /** What every process gets: the options' env, REDIS_URL, the config's GWQUEUE_PREFIX and GWQUEUE_ENV=test. */
  env: Record<string, string>;
  /** With `web`: the console process. */
  web: ConsoleProcess;
}

function stoppable(started: { child: ChildProcess; output: () => string; exited: Promise<number | null> }): GwqueueProcess {
  const { child, exited } = started;
  return {
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

/** The console process alone (`gwqueue web` over dist/, on a free loopback port): for a test that starts consoles of its own beside an environment's, or on a Redis no environment starts (a Sentinel group, a fault's Redis). */
export async function startConsoleProcess(env: Record<string, string>, options: { timeoutMs?: number } = {}): Promise<ConsoleProcess> {
  const started = await startCli(
    ['web', '--port', '0', '--host', '127.0.0.1'],
    { GWQUEUE_ENV: 'test', ...env },
    /console at http:\/\/\S+/,
    options.timeoutMs ?? 20_000,
  );
  return { ...stoppable(started), url: /console at (http:\/\/\S+)/.exec(started.output())![1] };
}

export async function startProcesses(options: ProcessesOptions = {}): Promise<Processes> {
  const base = await startInProcess(options);
  const env = { ...options.env, REDIS_URL: base.redis.url, GWQUEUE_PREFIX: base.config.prefix, GWQUEUE_ENV: 'test' };
  let web: ConsoleProcess | undefined;
  const stop = async () => {
    await web?.stop();
    await base.stop();
  };
  try {
    if (options.web) {
      const asked = options.web === true ? {} : options.web;
      web = await startConsoleProcess({ ...env, ...asked.env }, asked);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ...base.engine,
    redis: base.redis,
    engine: base.engine,
    get services() {
      return base.services;
    },
    get app() {
      return base.app;
    },
    get gracedb() {
      return base.gracedb;
    },
    browser: base.browser,
    jobCount: base.jobCount,
    runChain: base.runChain,
    env,
    get web() {
      if (!web) throw new Error('start the environment with web: true');
      return web;
    },
    stop,
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
