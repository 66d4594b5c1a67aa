// Accepted means done: chains running in real worker processes ride out Redis SIGKILLed and down for 30 s; a task whose Redis call or next-step enqueue failed meanwhile is retried, never failed for good.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, everyTaskFinished } from '../helpers/in-process.js';
import { eventually, sleep } from '../helpers/eventually.js';
import { startCli } from '../helpers/cli.js';
import { connectClient, type TaskClient } from '../../src/queue/client.js';
import { sendMockEvent } from '../../src/forms/send-mock-event.js';
import { EmbeddedGraceDb } from '../../src/gracedb/index.js';
import { bullPrefix } from '../../src/redis/keys.js';
import type { Config } from '../../src/config/index.js';

const DOWN_MS = 30_000;
const CHAINS = 12;

type Child = Awaited<ReturnType<typeof startCli>>;

describe('Redis down for 30 s under running chains', () => {
  let redis: TestRedis;
  let config: Config;
  let env: Record<string, string>;
  const workers: Child[] = [];

  before(async () => {
    redis = await startRedis({ appendOnly: true });
    config = testConfig(redis.url);
    env = {
      REDIS_URL: redis.url,
      GWQUEUE_PREFIX: config.prefix,
      GWQUEUE_ENV: 'test',
      GWQUEUE_HEARTBEAT_MS: '500',
      GWQUEUE_LOG_LEVEL: 'warn',
      // Locks outlive the outage, as they would with a restart shorter than GWQUEUE_LOCK_DURATION_MS.
      GWQUEUE_LOCK_DURATION_MS: '90000',
      GWQUEUE_RETRY_BACKOFF_MS: '200',
      GWQUEUE_RETRY_MAX_BACKOFF_MS: '2000',
    };
  });
  after(async () => {
    for (const worker of workers) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await redis?.stop();
  });

  test('every chain accepted before the kill completes, its steps once; none fails for good', async (t) => {
    // Nothing acknowledged may be lost in the kill: the claim of this test is about the tasks, not about the AOF.
    const admin = new Redis(redis.url);
    await admin.config('SET', 'appendfsync', 'always');
    admin.disconnect();
    for (const name of ['a', 'b']) workers.push(await startCli(['worker', '-n', `${name}@outage`, '-c', '4'], env, /consuming/));
    let client: TaskClient = await connectClient(config);
    const ids: string[] = [];
    for (let i = 0; i < CHAINS; i++) {
      const canvas = sendMockEvent.build({}, { user: 'robot', config });
      ids.push((await client.apply(canvas, { submittedBy: 'robot' })).id);
    }
    // Kill while the first uploads run: their GraceDB writes, the enqueue of their grouping task, their next steps.
    await eventually(async () => (await client.queue('celery').getActiveCount()) > 0, 10_000, 'a task running');
    await client.close();
    await redis.kill();
    const killedAt = Date.now();
    // A fixed outage on purpose: its length is the fault under test.
    await sleep(DOWN_MS);
    await redis.restart();
    const restartedAt = Date.now();
    client = await eventually(() => connectClient(config).catch(() => undefined), 10_000, 'a connection after the restart');

    const states = await everyTaskFinished(client, ids, 90_000, () => workers.map((w) => w.output().slice(-1500)).join('\n'));
    const steps = [];
    for (const id of ids) {
      const job = (await client.findJob(id))!;
      for (const step of job.data.meta.steps as { id: string; queue: string }[]) steps.push(await client.findJobIn(step.queue, step.id));
    }
    const retried = steps.filter((step) => (step?.attemptsMade ?? 0) > 1 || (step?.attemptsStarted ?? 0) > 1).length;
    const store = new EmbeddedGraceDb(client.redis, bullPrefix(config));
    const events = await store.searchEvents('MDC').catch(() => []);
    const results = await Promise.all(
      ids.map(async (id) => ((await client.findJob(id))!.returnvalue as { graceid?: string } | null)?.graceid),
    );
    const completed = [...states.values()].filter((state) => state === 'completed').length;
    t.diagnostic(
      `figures: ${JSON.stringify({
        chains: CHAINS,
        completed,
        failed: CHAINS - completed,
        stepsRunMoreThanOnce: retried,
        mockEvents: events.length,
        secondsDown: (restartedAt - killedAt) / 1000,
        secondsToCompleteAfterRestart: (Date.now() - restartedAt) / 1000,
      })}`,
    );
    for (const id of ids) assert.equal(states.get(id), 'completed', `chain ${id}`);
    // Once each: an upload retried after Redis trouble uploads no second event.
    assert.equal(new Set(results).size, CHAINS);
    assert.equal(events.length, CHAINS);
    for (const worker of workers) assert.equal(worker.child.exitCode, null, 'the worker kept running');
    await client.close();
  });
});
