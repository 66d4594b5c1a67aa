// What the Chromium tests drive: a real Redis, the task engine with its workers, the console on a free port, and Chromium; stopped in reverse.
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { launchChromium, SHOTS } from './chromium.js';
import { startRedis, type TestRedis } from './redis-server.js';
import { startEngine, testConfig, type Engine } from './engine.js';
import { startWebServer, type WebServer } from '../../src/web/server.js';
import type { WorkerOptions } from '../../src/worker/run-worker.js';
import { resetServices, setServicesForTest } from '../../src/tasks/services.js';
import '../../src/tasks/index.js';

export interface ConsoleStack {
  redis: TestRedis;
  engine: Engine;
  web: WebServer;
  /** Chromium, launched on first use. */
  browser(): Promise<Browser>;
  stop(): Promise<void>;
}

/**
 * `env` overrides the test config; `workers` start before the console; `services`: tasks run in this process use the
 * test's Redis (domain tasks); `prepare` runs once the workers are up, before the console listens.
 */
export async function startConsoleStack(options: {
  env?: Record<string, string>;
  workers: WorkerOptions[];
  services?: boolean;
  prepare?: (engine: Engine) => Promise<void>;
}): Promise<ConsoleStack> {
  mkdirSync(SHOTS, { recursive: true });
  const redis = await startRedis();
  const config = testConfig(redis.url, options.env ?? {});
  const engine = await startEngine(config);
  if (options.services) setServicesForTest({ config });
  for (const worker of options.workers) await engine.startWorker(worker);
  await options.prepare?.(engine);
  const web = await startWebServer(config, { port: 0, host: '127.0.0.1' });
  let launched: Promise<Browser> | undefined;
  return {
    redis,
    engine,
    web,
    browser: () => (launched ??= launchChromium()),
    async stop() {
      await (await launched?.catch(() => undefined))?.close();
      await web.close();
      await engine.stop();
      if (options.services) await resetServices();
      await redis.stop();
    },
  };
}
