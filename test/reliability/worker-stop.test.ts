// Stopping always works: a real `gwqueue worker` exits on SIGTERM within its shutdown timeout + 1 s with Redis SIGKILLed or hung (SIGSTOP), and says what it could not finish.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import { startCli, stopTimed } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { seenWorkers } from '../../src/queue/heartbeats.js';
import type { Config } from '../../src/config/index.js';

const SHUTDOWN_MS = 2000;
const BOUND_MS = SHUTDOWN_MS + 1000;

/** A worker's environment for these tests: its Redis, a short shutdown timeout and frequent heartbeats. */
function workerEnv(url: string, config: Config, shutdownMs: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: url,
    GWQUEUE_PREFIX: config.prefix,
    GWQUEUE_ENV: 'test',
    GWQUEUE_SHUTDOWN_TIMEOUT_MS: String(shutdownMs),
    GWQUEUE_HEARTBEAT_MS: '200',
    GWQUEUE_LOG_LEVEL: 'warn',
    ...extra,
  };
}

describe('worker stop with Redis away', () => {
  const servers: TestRedis[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
  });

  for (const fault of ['SIGKILL', 'SIGSTOP'] as const) {
    test(`Redis ${fault}ed: SIGTERM ends the worker within the shutdown timeout + 1 s`, async (t) => {
      const redis = await startRedis();
      servers.push(redis);
      const config = testConfig(redis.url);
      const worker = await startCli(['worker', '-n', `stop-${fault}@test`], workerEnv(redis.url, config, SHUTDOWN_MS), /consuming/);
      if (fault === 'SIGKILL') await redis.kill();
      else redis.freeze();
      const { code, ms } = await stopTimed(worker);
      t.diagnostic(`figures: ${JSON.stringify({ fault, exitCode: code, secondsToExit: ms / 1000, boundSeconds: BOUND_MS / 1000 })}`);
      assert.ok(ms <= BOUND_MS, `exited after ${ms} ms (bound ${BOUND_MS} ms)`);
      assert.notEqual(code, null, 'it exited by itself, not killed');
      assert.match(worker.output(), /not finished in time/, 'it said what it could not finish');
      redis.thaw();
    });
  }

  /** A worker's status as its record in Redis says ('stopped' = a clean stop; anything else offline = lost). */
  async function statusOf(url: string, config: Config, name: string): Promise<string | undefined> {
    const redis = new Redis(url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    try {
      return (await seenWorkers(redis, config, 0)).find((w) => w.name === name)?.info?.status;
    } finally {
      redis.disconnect();
    }
  }

  test('Redis SIGKILLed, back during the stop: the "stopped" mark reaches it, so the stop is not taken for a crash', async (t) => {
    const redis = await startRedis({ appendOnly: true });
    servers.push(redis);
    const config = testConfig(redis.url);
    const varDir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-stop-'));
    t.after(() => rmSync(varDir, { recursive: true, force: true }));
    const name = 'stop-back@test';
    const shutdownMs = 4000;
    const env = workerEnv(redis.url, config, shutdownMs, { GWQUEUE_VAR_DIR: varDir });
    const worker = await startCli(['worker', '-n', name], env, /consuming/);
    await redis.kill();
    const stopped = stopTimed(worker);
    // Back within the stop, once the stop has begun without it: the mark the connection held goes out.
    await eventually(() => /shutting down/.test(worker.output()), 5000, 'the stop to begin');
    await redis.restart();
    const { code, ms } = await stopped;
    const status = await statusOf(redis.url, config, name);
    t.diagnostic(`figures: ${JSON.stringify({ exitCode: code, secondsToExit: ms / 1000, status })}`);
    assert.ok(ms <= shutdownMs + 1000, `exited after ${ms} ms`);
    assert.equal(status, 'stopped');
    assert.ok(!existsSync(path.join(varDir, 'worker-stops')) || readdirSync(path.join(varDir, 'worker-stops')).length === 0);
  });

  test('Redis away for the whole stop: the worker exits within its bound and keeps the mark; the next worker started here writes it', async (t) => {
    const redis = await startRedis({ appendOnly: true });
    servers.push(redis);
    const config = testConfig(redis.url);
    const varDir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-stop-'));
    t.after(() => rmSync(varDir, { recursive: true, force: true }));
    const name = 'stop-away@test';
    const env = workerEnv(redis.url, config, SHUTDOWN_MS, { GWQUEUE_VAR_DIR: varDir });
    const worker = await startCli(['worker', '-n', name], env, /consuming/);
    await redis.kill();
    const { code, ms } = await stopTimed(worker);
    assert.ok(ms <= BOUND_MS, `exited after ${ms} ms (bound ${BOUND_MS} ms)`);
    assert.notEqual(code, null, 'it exited by itself');
    assert.match(worker.output(), /mark could not reach Redis; the next worker started here writes it/);
    assert.equal(readdirSync(path.join(varDir, 'worker-stops')).length, 1);
    await redis.restart();
    // What is true until then: its last word in Redis was "online", so it is reported as lost.
    assert.equal(await statusOf(redis.url, config, name), 'online');
    const next = await startCli(['worker', '-n', 'next@test'], env, /consuming/);
    try {
      await eventually(async () => (await statusOf(redis.url, config, name)) === 'stopped', 10_000, 'the kept mark to be written');
      // The file goes once its mark is in Redis (just after).
      await eventually(() => readdirSync(path.join(varDir, 'worker-stops')).length === 0, 10_000, 'the kept mark removed from disk');
      t.diagnostic(`figures: ${JSON.stringify({ exitCode: code, secondsToExit: ms / 1000 })}`);
    } finally {
      await stopTimed(next);
    }
  });
});
