// The in-process test environment: a real redis-server, a test config, the task client, and on request workers, the domain services, the console (supertest app or listening) and Chromium in this process.
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before } from 'node:test';
import request from 'supertest';
import type { Express } from 'express';
import type { Browser } from 'playwright-core';
import { eventually } from './eventually.js';
import { startRedis, type TestRedis } from './redis-server.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { connectClient, type TaskClient } from '../../src/queue/client.js';
import { setCurrentClient } from '../../src/queue/current-client.js';
import { startWorker, type RunningWorker, type WorkerOptions } from '../../src/worker/run-worker.js';
import type { Services } from '../../src/tasks/services.js';
import type { WebServer } from '../../src/web/server.js';
import type { GraceDb } from '../../src/gracedb/index.js';

/** A config for tests: its own key prefix (so test files never see each other's keys) and fast timings. */
export function testConfig(redisUrl: string, overrides: Record<string, string> = {}): Config {
  return loadConfig({
    GWQUEUE_ENV: 'test',
    REDIS_URL: redisUrl,
    GWQUEUE_PREFIX: `t${randomUUID().slice(0, 8)}`,
    GWQUEUE_RETRY_BACKOFF_MS: '50',
    GWQUEUE_HEARTBEAT_MS: '200',
    ...overrides,
  });
}

export const API_TOKEN = 'test-token-0123456789abcdef';

/** Who may use the console in the tests of its pages: the proxy user albert.einstein, the group emfollow, the API token robot. */
export const CONSOLE_ACCESS: Record<string, string> = {
  GWQUEUE_TRUSTED_PROXIES: '127.0.0.1',
  GWQUEUE_AUTHORIZED_USERS: 'albert.einstein',
  GWQUEUE_AUTHORIZED_GROUPS: 'emfollow',
  GWQUEUE_API_TOKENS: `robot=${API_TOKEN}`,
};

/** The domain tasks' settings: no joint MDC events of their own, and a quick mock joint event. */
export const DOMAIN_SETTINGS: Record<string, string> = { GWQUEUE_JOINT_MDC_FREQ: '0', GWQUEUE_MOCK_JOINT_DELAY: '0.2' };

/** The task engine: a connected client and the in-process workers started so far. */
export interface Engine {
  config: Config;
  client: TaskClient;
  workers: RunningWorker[];
  startWorker(options?: WorkerOptions): Promise<RunningWorker>;
}

export interface InProcessOptions {
  /** Settings on top of testConfig's (a fresh key prefix, quick retries and heartbeats). */
  env?: Record<string, string>;
  /** A redis-server the test file shares (left running by stop()), or how to start a fresh one. */
  redis?: TestRedis | { appendOnly?: boolean };
  /** In-process workers, started before the console. */
  workers?: WorkerOptions[];
  /** Domain tasks run in this process (its workers, runChain) use the test's Redis: the embedded GraceDB, the outbox. */
  services?: boolean;
  /** Runs once the workers are up, before the console is made. */
  prepare?: (engine: Engine) => Promise<void>;
  /** The console's Express app, for supertest (`app`, and the GraceDB it reads, `gracedb`). */
  app?: boolean;
  /** The console listening on a free loopback port (`web`). */
  listen?: boolean;
}

/** The environment is itself the engine (`client`, `workers`, `startWorker`), also given as `engine` for the fixtures' callbacks. */
export interface InProcess extends Engine {
  redis: TestRedis;
  engine: Engine;
  /** With `services`: the domain services the tasks of this process use. */
  services: Services;
  /** With `app`: the console app, and its GraceDB. */
  app: Express;
  gracedb: GraceDb;
  /** With `listen`: the console on its port. */
  web: WebServer;
  /** Chromium, launched on first use and closed by stop(). */
  browser(): Promise<Browser>;
  /** Jobs of every registered queue, all states: proves that nothing was enqueued. */
  jobCount(): Promise<number>;
  /** Checks raw form fields, builds the form's chain, enqueues it and waits for its last step's result. */
  runChain(name: string, fields?: Record<string, unknown>, user?: string): Promise<unknown>;
  /** Stops what it started, in reverse: Chromium, the console, the workers and client, the services, Redis. */
  stop(): Promise<void>;
}

function asked<T>(value: T | undefined, option: string): T {
  if (value === undefined) throw new Error(`start the environment with ${option}`);
  return value;
}

/** Jobs in every queue, all states: proves that a refusal queued nothing. */
async function jobCount(client: TaskClient): Promise<number> {
  let total = 0;
  for (const name of await client.queueNames()) {
    const counts = await client.queue(name).getJobCounts();
    total += Object.values(counts).reduce((a, b) => a + b, 0);
  }
  return total;
}

export async function startInProcess(options: InProcessOptions = {}): Promise<InProcess> {
  const shared = options.redis && 'url' in options.redis ? options.redis : undefined;
  // The console and the domain services run with every domain task registered, as `gwqueue web` and `gwqueue worker` do;
  // an engine alone has only the tasks its test defines. The parts are loaded when asked: most test files need few.
  if (options.app || options.listen || options.services) await import('../../src/tasks/index.js');
  const servicesModule = options.services ? await import('../../src/tasks/services.js') : undefined;
  const redis = shared ?? (await startRedis(options.redis as { appendOnly?: boolean } | undefined));
  const config = testConfig(redis.url, options.env ?? {});
  const client = await connectClient(config).catch(async (error: unknown) => {
    if (!shared) await redis.stop();
    throw error;
  });
  const workers: RunningWorker[] = [];
  const engine: Engine = {
    config,
    client,
    workers,
    async startWorker(workerOptions = {}) {
      const worker = await startWorker(config, workerOptions);
      workers.push(worker);
      return worker;
    },
  };
  const services = servicesModule?.setServicesForTest({ config });
  let app: { app: Express; gracedb: GraceDb } | undefined;
  let web: WebServer | undefined;
  let launched: Promise<Browser> | undefined;
  const stop = async () => {
    await (await launched?.catch(() => undefined))?.close();
    await web?.close(1000);
    await Promise.all(workers.map((worker) => worker.stop()));
    await client.close();
    setCurrentClient(undefined);
    await servicesModule?.resetServices();
    if (!shared) await redis.stop();
  };
  try {
    for (const worker of options.workers ?? []) await engine.startWorker(worker);
    await options.prepare?.(engine);
    if (options.app) {
      const [{ createApp }, { createConsoleGraceDb }] = await Promise.all([
        import('../../src/web/app.js'),
        import('../../src/web/context.js'),
      ]);
      const { gracedb } = createConsoleGraceDb(config, client.redis);
      app = { app: createApp({ config, client, gracedb, listenHost: '127.0.0.1' }), gracedb };
    }
    if (options.listen) web = await (await import('../../src/web/server.js')).startWebServer(config, { port: 0, host: '127.0.0.1' });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ...engine,
    redis,
    engine,
    get services() {
      return asked(services, 'services: true');
    },
    get app() {
      return asked(app, 'app: true').app;
    },
    get gracedb() {
      return asked(app, 'app: true').gracedb;
    },
    get web() {
      return asked(web, 'listen: true');
    },
    browser() {
      return (launched ??= import('./chromium.js').then(({ launchChromium, SHOTS }) => {
        mkdirSync(SHOTS, { recursive: true });
        return launchChromium();
      }));
    },
    jobCount: () => jobCount(client),
    async runChain(name, fields = {}, user = 'alice') {
      const [{ findForm }, { checkInput, describeProblems }] = await Promise.all([
        import('../../src/forms/registry.js'),
        import('../../src/input/check.js'),
      ]);
      const form = findForm(name);
      if (!form) throw new Error(`no form ${name}`);
      const checked = checkInput(form.input, fields);
      if (!checked.ok) throw new Error(`${name}: ${describeProblems(checked.problems)}`);
      const canvas = form.build(checked.value, { user, config });
      const handle = await client.apply(canvas, { submittedBy: user });
      return handle.get({ timeout: 25 });
    },
    stop,
  };
}

/**
 * In a describe block: one redis-server for the file, and a fresh in-process environment per test (its own key prefix,
 * so mock events made "now" never share a superevent), stopped after it. `start(env)` adds settings to `options.env`.
 */
export function startInProcessPerTest(options: Omit<InProcessOptions, 'redis'> = {}): {
  start(env?: Record<string, string>): Promise<InProcess>;
} {
  let redis: TestRedis | undefined;
  let current: InProcess | undefined;
  before(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  after(async () => {
    await redis?.stop();
  });
  return {
    async start(env = {}) {
      current = await startInProcess({ ...options, redis, env: { ...options.env, ...env } });
      return current;
    },
  };
}

export interface FormTokens {
  csrf: string;
  submission: string;
}

/** A browser-like session over supertest: GET / as the given proxy user, and read the CSRF and submission tokens of a form. */
export function browser(app: Express, user: string | null = 'albert.einstein') {
  const agent = request.agent(app);
  const headers: Record<string, string> = user ? { 'X-Proxy-Remote-User': user } : {};
  const tokens = async (form: string): Promise<FormTokens> => {
    const page = await agent.get('/').set(headers).expect(200);
    const section = page.text.slice(page.text.indexOf(`action="/${form}"`));
    const csrf = /name="_csrf" value="([^"]*)"/.exec(section)?.[1] ?? '';
    const submission = /name="submission_token" value="([^"]+)"/.exec(section)?.[1] ?? '';
    return { csrf, submission };
  };
  return { agent, headers, tokens };
}

/**
 * Waits until every task of `ids` has finished (completed or failed) and gives each one's state; a timeout names the celery queue's unfinished
 * jobs and what `tail()` adds (e.g. the workers' last output).
 */
export async function everyTaskFinished(
  client: TaskClient,
  ids: string[],
  timeoutMs: number,
  tail: () => string = () => '',
): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  await eventually(
    async () => {
      for (const id of ids) {
        if (['completed', 'failed'].includes(states.get(id) ?? '')) continue;
        const job = await client.findJob(id);
        states.set(id, job ? await job.getState() : 'missing');
      }
      return [...states.values()].every((state) => state === 'completed' || state === 'failed');
    },
    timeoutMs,
    'every chain to finish',
  ).catch(async (error: Error) => {
    const stuck: string[] = [];
    for (const job of await client.queue('celery').getJobs(['active', 'waiting', 'delayed', 'waiting-children', 'failed', 'prioritized']))
      stuck.push(
        `${job.name.split('.').pop()} ${await job.getState()} attempts ${job.attemptsMade}/${job.attemptsStarted} ${job.failedReason ?? ''}`,
      );
    throw new Error(`${error.message}: ${stuck.join('; ')}\n${tail()}`);
  });
  return states;
}

/** Waits until a superevent's preferred event is complete (EM_READY): from then on it may send its alerts. */
export async function untilComplete(domain: InProcess, supereventId: string): Promise<void> {
  await eventually(async () => (await domain.services.gracedb.getSuperevent(supereventId)).labels.includes('EM_READY'), 10_000, 'EM_READY');
}

/** A mock event made by its form (`chain`: send_mock_event or send_mock_joint_event), once its superevent is complete. */
export async function mockSuperevent<T extends { superevent_id: string }>(
  domain: InProcess,
  chain = 'send_mock_event',
  fields: Record<string, unknown> = {},
): Promise<T> {
  const mock = (await domain.runChain(chain, fields)) as T;
  await untilComplete(domain, mock.superevent_id);
  return mock;
}
