// Test wiring for the domain tasks: a real worker, the embedded GraceDB under a fresh prefix, and chain helpers.
import { after, afterEach, before } from 'node:test';
import { startEngine, testConfig, type Engine } from '../helpers/engine.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import type { Config } from '../../src/config/index.js';
import '../../src/tasks/index.js';
import { resetServices, setServicesForTest, type Services } from '../../src/tasks/services.js';
import { findForm } from '../../src/forms/registry.js';
import { checkInput, describeProblems } from '../../src/input/check.js';
import type { LogRecord } from '../../src/gracedb/index.js';

export interface DomainEngine {
  config: Config;
  engine: Engine;
  services: Services;
  /** Checks raw form fields, builds the form's chain, enqueues it and waits for its last step's result. */
  runChain(name: string, fields?: Record<string, unknown>, user?: string): Promise<unknown>;
  stop(): Promise<void>;
}

/** One engine per test: each has its own key prefix, so mock events made "now" never share a superevent. */
export async function startDomainEngine(redisUrl: string, overrides: Record<string, string> = {}): Promise<DomainEngine> {
  const config = testConfig(redisUrl, { GWQUEUE_JOINT_MDC_FREQ: '0', GWQUEUE_MOCK_JOINT_DELAY: '0.2', ...overrides });
  const engine = await startEngine(config);
  const services = setServicesForTest({ config });
  await engine.startWorker({ name: `domain-worker-${config.prefix}` });
  return {
    config,
    engine,
    services,
    async runChain(name, fields = {}, user = 'alice') {
      const form = findForm(name);
      if (!form) throw new Error(`no form ${name}`);
      const checked = checkInput(form.input, fields);
      if (!checked.ok) throw new Error(`${name}: ${describeProblems(checked.problems)}`);
      const canvas = form.build(checked.value, { user, config });
      const handle = await engine.client.apply(canvas, { submittedBy: user });
      return handle.get({ timeout: 25 });
    },
    async stop() {
      await engine.stop();
      await resetServices();
    },
  };
}

/** In a describe block: one redis-server for the file, and a fresh domain engine per test, stopped after it. */
export function domainEnginePerTest(): { start(overrides?: Record<string, string>): Promise<DomainEngine> } {
  let redis: TestRedis | undefined;
  let current: DomainEngine | undefined;
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
    async start(overrides = {}) {
      current = await startDomainEngine(redis!.url, overrides);
      return current;
    },
  };
}

export function comments(logs: LogRecord[]): string[] {
  return logs.map((entry) => entry.comment);
}

/** `name` → latest version number, from a log. */
export function filesIn(logs: LogRecord[]): Map<string, number> {
  const files = new Map<string, number>();
  for (const entry of logs) if (entry.filename) files.set(entry.filename, entry.file_version ?? 0);
  return files;
}
