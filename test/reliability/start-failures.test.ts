// Every start-up step of a long-running command (worker, web, web -P N, flower, gracedb, dev) that fails stops the whole process: one line, a non-zero exit, nothing taken, nothing left running.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort, startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { processesWithEnv } from '../helpers/processes.js';
import type { Config } from '../../src/config/index.js';
import { connectClient, type TaskClient } from '../../src/queue/client.js';
import { liveWorkers } from '../../src/queue/heartbeats.js';
import { setCurrentClient } from '../../src/queue/current-client.js';
import { add } from '../../src/tasks/core.js';
import '../../src/tasks/index.js';

const LISTEN = 71;
const CONFIG = 78;
/** Seconds a refused start may take: module loading on a loaded machine, then a bounded close. */
const QUICK_MS = 8000;
/** Port 1: nothing listens there. */
const REFUSED_URL = 'redis://127.0.0.1:1/0';

/** A port held by another process's listener, as an operator's shared environment file makes happen. */
async function takenPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function timed(args: string[], env: Record<string, string>): Promise<CliResult & { ms: number }> {
  const begun = Date.now();
  const result = await runCli(args, env, { timeoutMs: 30_000 });
  return { ...result, ms: Date.now() - begun };
}

/** Exactly one line on stderr, no stack trace. */
function oneLine(result: CliResult, pattern: RegExp): void {
  const lines = result.stderr.trim().split('\n');
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  assert.ok(lines.filter((line) => /^gwqueue: /.test(line)).length >= 1, result.stderr);
}

describe('a long-running command that cannot start', () => {
  let redis: TestRedis;
  let config: Config;
  let client: TaskClient;
  let env: Record<string, string>;
  let port: { port: number; close(): Promise<void> };
  before(async () => {
    redis = await startRedis();
    config = testConfig(redis.url);
    client = await connectClient(config);
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: config.prefix, GWQUEUE_ENV: 'test', GWQUEUE_SHUTDOWN_TIMEOUT_MS: '2000' };
    port = await takenPort();
  });
  after(async () => {
    await port.close();
    await client.close();
    setCurrentClient(undefined);
    await redis.stop();
  });

  /** Ten tasks waiting: a command that cannot start must leave them all there, none run. */
  async function tenWaiting(): Promise<() => Promise<void>> {
    await client.queue(add.queue).obliterate({ force: true });
    for (let i = 0; i < 10; i++) await client.apply(add.s(i, 1));
    return async () => {
      const counts = await client.queue(add.queue).getJobCounts('waiting', 'active', 'completed', 'failed');
      assert.deepEqual(
        { ...counts, paused: undefined },
        { waiting: 10, active: 0, completed: 0, failed: 0, paused: undefined },
        'no task was taken',
      );
      const online = (await liveWorkers(client.redis, config)).map((worker) => worker.name);
      assert.deepEqual(online, [], 'no worker is left listed as online');
    };
  }

  test('worker: its metrics port in use (GWQUEUE_WORKER_METRICS_PORT, or --metrics-port), it exits 71 before taking a task', async (t) => {
    const untouched = await tenWaiting();
    for (const [how, args, extra] of [
      ['setting', ['worker', '-n', 'metrics-env@test'], { GWQUEUE_WORKER_METRICS_PORT: String(port.port) }],
      ['option', ['worker', '-n', 'metrics-opt@test', '--metrics-port', String(port.port)], {}],
    ] as const) {
      const result = await timed([...args], { ...env, ...extra });
      t.diagnostic(`figures: ${JSON.stringify({ how, exitCode: result.code, seconds: result.ms / 1000 })}`);
      assert.equal(result.code, LISTEN, result.stderr);
      oneLine(
        result,
        /cannot serve the worker metrics \(--metrics-port, GWQUEUE_WORKER_METRICS_PORT\) on 127\.0\.0\.1:\d+: the port is in use by another process \(EADDRINUSE\)/,
      );
      assert.ok(result.ms < QUICK_MS, `${result.ms} ms`);
    }
    await untouched();
  });

  test('worker: its metrics port in use and Redis refused, it exits 71 at once instead of waiting for Redis', async () => {
    const result = await timed(['worker', '--metrics-port', String(port.port)], { ...env, REDIS_URL: REFUSED_URL });
    assert.equal(result.code, LISTEN, result.stderr);
    assert.ok(result.ms < QUICK_MS, `${result.ms} ms`);
  });

  test('worker, web, flower, gracedb, dev: a bad setting or an unknown queue in GWQUEUE_QUEUE_CONCURRENCY exits 78 naming it', async () => {
    for (const args of [['worker'], ['web', '-p', '0'], ['flower', '-p', '0'], ['gracedb', '-p', '0'], ['dev', '-p', '0']]) {
      const bad = await timed(args, { ...env, GWQUEUE_SHUTDOWN_TIMEOUT_MS: 'soon' });
      assert.equal(bad.code, CONFIG, `${args[0]}: ${bad.stderr}`);
      oneLine(bad, /configuration error: GWQUEUE_SHUTDOWN_TIMEOUT_MS/);
    }
    for (const args of [['worker'], ['dev', '-p', '0']]) {
      const misnamed = await timed(args, { ...env, GWQUEUE_QUEUE_CONCURRENCY: 'celery=2,celrey=3' });
      assert.equal(misnamed.code, CONFIG, `${args[0]}: ${misnamed.stderr}`);
      oneLine(misnamed, /GWQUEUE_QUEUE_CONCURRENCY.*unknown queue celrey/);
    }
  });

  for (const [name, args] of [
    ['web', ['web', '-H', '127.0.0.1']],
    ['flower', ['flower', '-H', '127.0.0.1']],
    ['gracedb', ['gracedb', '-H', '127.0.0.1']],
  ] as const) {
    for (const redisState of ['up', 'refused'] as const) {
      test(`${name}: its port in use, Redis ${redisState}, it exits 71 with one line`, async () => {
        const url = redisState === 'up' ? redis.url : REFUSED_URL;
        const result = await timed([...args, '-p', String(port.port)], { ...env, REDIS_URL: url });
        assert.equal(result.code, LISTEN, result.stderr);
        oneLine(
          result,
          new RegExp(
            `cannot serve ${{ web: 'the console', flower: 'the dashboard', gracedb: 'the GraceDB API' }[name]} on 127\\.0\\.0\\.1:${port.port}: the port is in use`,
          ),
        );
        assert.ok(result.ms < QUICK_MS, `${result.ms} ms`);
      });
    }
  }

  for (const redisState of ['up', 'hung'] as const) {
    test(`web -P 2: its port in use, Redis ${redisState}, the primary exits 71 with one line at once and no console process is left`, async () => {
      const marker = `start-failures-${process.pid}-${Date.now()}`;
      // Accepts connections and never answers: a console process would wait the connect timeout (raised here) for it.
      const hung = net.createServer(() => {});
      await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
      const hungUrl = `redis://127.0.0.1:${(hung.address() as net.AddressInfo).port}`;
      try {
        const result = await timed(['web', '-P', '2', '-H', '127.0.0.1', '-p', String(port.port)], {
          ...env,
          GWQUEUE_TEST_MARKER: marker,
          ...(redisState === 'hung' ? { REDIS_URL: hungUrl, REDIS_CONNECT_TIMEOUT_MS: '60000' } : {}),
        });
        assert.equal(result.code, LISTEN, result.stderr);
        oneLine(result, /cannot serve the console on 127\.0\.0\.1:\d+: the port is in use by another process \(EADDRINUSE\)/);
        assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
        assert.ok(result.ms < QUICK_MS, `${result.ms} ms`);
        assert.deepEqual(processesWithEnv('GWQUEUE_TEST_MARKER', marker), [], 'no console process outlives the primary');
      } finally {
        hung.close();
      }
    });
  }

  test('dev: the console port in use, it exits 71 and its worker took no task', async () => {
    const untouched = await tenWaiting();
    const result = await timed(['dev', '-p', String(port.port)], env);
    assert.equal(result.code, LISTEN, result.stderr);
    oneLine(result, /cannot serve the console on 127\.0\.0\.1:\d+: the port is in use/);
    assert.doesNotMatch(result.stderr, /consuming/, 'the worker never said it consumes');
    await untouched();
  });

  test("dev: the worker's metrics port in use, it exits 71 before the console listens or a task is taken", async () => {
    const untouched = await tenWaiting();
    const consolePort = await freePort();
    const result = await timed(['dev', '-p', String(consolePort)], { ...env, GWQUEUE_WORKER_METRICS_PORT: String(port.port) });
    assert.equal(result.code, LISTEN, result.stderr);
    oneLine(result, /cannot serve the worker metrics/);
    assert.doesNotMatch(result.stderr, /console at/);
    await untouched();
    // The console's port is free: nothing of the failed start holds it.
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(consolePort, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
});
