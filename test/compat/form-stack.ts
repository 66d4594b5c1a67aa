// The compatibility suite's form tests: Redis, the real console (`gwqueue web` over dist/) on a free port, an in-process
// worker for every queue on the embedded GraceDB, and the HTTP calls a scripted client (API token) makes.
import assert from 'node:assert/strict';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { jobCount, startEngine, testConfig, type Engine } from '../helpers/engine.js';
import { startConsoleProcess, type ConsoleProcess } from '../helpers/console-process.js';
import { resetServices, setServicesForTest, type Services } from '../../src/tasks/services.js';
import type { Config } from '../../src/config/index.js';
import '../../src/tasks/index.js';

export const OPERATOR_TOKEN = 'compat-operator-token-0123456789';

export interface TaskReading {
  id: string;
  name: string;
  state: string;
  finished: boolean;
  result: unknown;
  error: { message: string } | null;
  steps: { task: string; state: string }[];
}

export interface FormStack {
  url: string;
  config: Config;
  services: Services;
  engine: Engine;
  /** POSTs a form as a scripted operator (Accept: JSON): 202 with the task's ID, 422 with `fields`. */
  post(form: string, fields: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Reads /api/tasks/<id> until the task has finished (bounded). */
  finished(id: string, timeoutSeconds?: number): Promise<TaskReading>;
  /** POSTs a form that must be accepted (202) and reads its task until it has finished, whatever the outcome. */
  run(form: string, fields: Record<string, string>, timeoutSeconds?: number): Promise<TaskReading>;
  /** As run, and the chain must have completed. */
  completed(form: string, fields: Record<string, string>): Promise<TaskReading>;
  /** The form's path answers GET with 405, POST allowed. */
  assertGetRefused(path: string): Promise<void>;
  /** Jobs in every queue, all states: proves that a refusal queued nothing. */
  jobCount(): Promise<number>;
  stop(): Promise<void>;
}

/** `env`: settings for both the console process and the worker (the same prefix, so they share queues and GraceDB). */
export async function startFormStack(env: Record<string, string> = {}): Promise<FormStack> {
  const redis: TestRedis = await startRedis();
  const settings = { GWQUEUE_API_TOKENS: `robot=${OPERATOR_TOKEN}`, GWQUEUE_JOINT_MDC_FREQ: '0', ...env };
  const config = testConfig(redis.url, settings);
  const engine = await startEngine(config);
  const services = setServicesForTest({ config });
  await engine.startWorker({ name: `compat-worker-${config.prefix}` });
  let web: ConsoleProcess | undefined;
  try {
    web = await startConsoleProcess({ ...settings, REDIS_URL: redis.url, GWQUEUE_PREFIX: config.prefix }, { timeoutMs: 60_000 });
  } catch (error) {
    await engine.stop();
    await resetServices();
    await redis.stop();
    throw error;
  }
  const site = web;
  const headers = { Authorization: `Bearer ${OPERATOR_TOKEN}`, Accept: 'application/json' };
  const stack: FormStack = {
    url: site.url,
    config,
    services,
    engine,
    async post(form, fields) {
      const response = await fetch(`${site.url}/${form}`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
      const text = await response.text();
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { text };
      }
      return { status: response.status, body };
    },
    async finished(id, timeoutSeconds = 60) {
      const deadline = Date.now() + timeoutSeconds * 1000;
      for (;;) {
        const response = await fetch(`${site.url}/api/tasks/${id}?wait=5`, { headers });
        if (response.status !== 200) throw new Error(`/api/tasks/${id} answered ${response.status}`);
        const task = (await response.json()) as TaskReading;
        // Read once more after the end: the API reads a job's record and its state side by side, so the reading that
        // first shows a failure may predate the failure's reason (then shown as just "failed").
        if (task.finished) return (await (await fetch(`${site.url}/api/tasks/${id}`, { headers })).json()) as TaskReading;
        if (Date.now() > deadline) throw new Error(`task ${id} not finished after ${timeoutSeconds} s: ${task.state}`);
      }
    },
    async run(form, fields, timeoutSeconds) {
      const queued = await stack.post(form, fields);
      assert.equal(queued.status, 202, JSON.stringify(queued.body));
      return stack.finished(String(queued.body.id), timeoutSeconds);
    },
    async completed(form, fields) {
      const task = await stack.run(form, fields);
      assert.equal(task.state, 'completed', JSON.stringify(task.error));
      return task;
    },
    async assertGetRefused(path) {
      const response = await fetch(`${site.url}/${path}`);
      assert.equal(response.status, 405, path);
      assert.match(response.headers.get('allow') ?? '', /POST/, path);
    },
    jobCount: () => jobCount(engine.client),
    async stop() {
      await site.stop();
      await engine.stop();
      await resetServices();
      await redis.stop();
    },
  };
  return stack;
}
