// The worker as a real process: heartbeats appear and expire, SIGKILL mid-task recovers, SIGTERM finishes first.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type TestRedis } from '../helpers/redis-server.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { startCli } from '../helpers/cli.js';
import { liveWorkers } from '../../src/queue/heartbeats.js';
import { sleep } from '../../src/tasks/core.js';

describe('worker process', () => {
  let redis: TestRedis;
  let engine: InProcess;
  let env: Record<string, string>;

  before(async () => {
    engine = await startInProcess({ env: { GWQUEUE_LOCK_DURATION_MS: '1000', GWQUEUE_HEARTBEAT_MS: '200' } });
    redis = engine.redis;
    const { config } = engine;
    env = {
      REDIS_URL: redis.url,
      GWQUEUE_PREFIX: config.prefix,
      GWQUEUE_LOCK_DURATION_MS: '1000',
      GWQUEUE_HEARTBEAT_MS: '200',
      GWQUEUE_ENV: 'test',
    };
  });
  after(async () => {
    await engine?.stop();
  });

  const names = async () => (await liveWorkers(engine.client.redis, engine.config)).map((worker) => worker.name);

  test("a heartbeat appears with the worker's details and expires after SIGKILL", async () => {
    const worker = await startCli(['worker', '-n', 'beat@test', '-c', '3'], env, /consuming/);
    try {
      const live = await eventually(
        async () => (await liveWorkers(engine.client.redis, engine.config)).find((w) => w.name === 'beat@test'),
        5000,
        'heartbeat',
      );
      assert.equal(live.info.concurrency, 3);
      assert.equal(live.info.pid, worker.child.pid);
      assert.ok(live.info.queues.includes('celery'));
      assert.equal(typeof live.info.memoryRss, 'number');
    } finally {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    // Three missed beats of 200 ms and the worker is gone.
    await eventually(async () => !(await names()).includes('beat@test'), 3000, 'heartbeat to expire');
  });

  test('a task whose worker is SIGKILLed is picked up again and finished by another worker', async () => {
    const first = await startCli(['worker', '-n', 'doomed@test'], env, /consuming/);
    // The kill must land while the task runs: 3 s leaves a loaded machine ample time between seeing it active and the
    // kill (the run on the rescuer takes as long again, hence not more).
    const handle = await sleep.delay(3);
    await eventually(async () => (await handle.info()).state === 'active', 10_000, 'task to start');
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await startCli(['worker', '-n', 'rescuer@test'], env, /consuming/);
    try {
      assert.equal(await handle.get({ timeout: 20 }), 3);
      const info = await handle.info();
      assert.equal(info.worker, 'rescuer@test');
      assert.equal(info.attempts, 2, 'the run cut short by SIGKILL counts as an attempt');
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  test('SIGTERM lets the active task finish, then the worker exits 0 and leaves the online list', async () => {
    const worker = await startCli(['worker', '-n', 'graceful@test'], env, /consuming/);
    const handle = await sleep.delay(1);
    await eventually(async () => (await handle.info()).state === 'active', 10_000, 'task to start');
    // The SIGTERM is meant to land while the 1 s task runs. Load can only make it land after the task's end, and then
    // every assertion below still holds: a weaker run, never a false failure.
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
    const info = await handle.info();
    assert.equal(info.state, 'completed');
    assert.equal(info.worker, 'graceful@test');
    assert.ok(!(await names()).includes('graceful@test'), 'a clean stop removes the heartbeat at once');
  });
});
