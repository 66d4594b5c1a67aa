// /metrics on a worker (--metrics-port: its own metrics) and on the console (the deployment's, from Redis), parsed as Prometheus does, after a batch of tasks: the counts match what ran.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { z } from 'zod';
import { freePort, type TestRedis } from '../helpers/redis-server.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { runCli, startCli } from '../helpers/cli.js';
import { parseExposition, type Exposition } from './prometheus-text.js';
import { sampleAlert } from '../alerts/sample-alert.js';
import { defineTask } from '../../src/queue/registry.js';
import { TransientError } from '../../src/queue/errors.js';
import { add } from '../../src/tasks/core.js';
import { AlertOutbox } from '../../src/alerts/outbox.js';
import { createApp } from '../../src/web/app.js';
import { createConsoleGraceDb } from '../../src/web/context.js';
import type { Express } from 'express';
import { processRole } from '../../src/log/process-role.js';
import '../../src/tasks/index.js';

const flaky = defineTask({
  name: 'gwqueue.tests.metrics.flaky',
  description: 'Fails transiently on its first attempt, then succeeds.',
  params: { n: z.number() },
  retry: { attempts: 3, backoffMs: 20 },
  async run({ n }, ctx) {
    if (ctx.attempt === 1) throw new TransientError('not yet');
    return n;
  },
});

const broken = defineTask({
  name: 'gwqueue.tests.metrics.broken',
  description: 'Always fails.',
  params: { n: z.number() },
  async run() {
    throw new Error('broken on purpose');
  },
});

const idle = defineTask({
  name: 'gwqueue.tests.metrics.idle',
  // A known queue no task of ours uses: only the CLI worker below serves it (worker -Q takes known queues only).
  queue: 'voevent',
  description: 'Never consumed in this test.',
  params: {},
  async run() {
    return null;
  },
});

const ADDS = 20;
const BROKEN = 5;
const FLAKY = 3;

describe('Prometheus metrics', () => {
  let redis: TestRedis;
  let engine: InProcess;
  let app: Express;
  let metricsUrl: string;

  before(async () => {
    engine = await startInProcess({ env: { GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '0' } });
    redis = engine.redis;
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    await engine.startWorker({ name: 'metrics@test', queues: ['celery'], metricsPort: port });
    const { gracedb } = createConsoleGraceDb(engine.config, engine.client.redis);
    app = createApp({ config: engine.config, client: engine.client, gracedb, listenHost: '127.0.0.1' });

    const handles = [
      ...(await Promise.all(Array.from({ length: ADDS }, (_, i) => add.delay(i, 1)))),
      ...(await Promise.all(Array.from({ length: BROKEN }, (_, i) => broken.delay(i)))),
      ...(await Promise.all(Array.from({ length: FLAKY }, (_, i) => flaky.delay(i)))),
    ];
    await Promise.all(handles.map((handle) => handle.get({ timeout: 20 }).catch(() => null)));
    // Two tasks wait in a queue no worker here consumes.
    await idle.delay();
    await idle.delay();
  });
  after(async () => {
    await engine?.stop();
  });

  const scrapeWorker = async (): Promise<Exposition> => {
    const response = await fetch(metricsUrl);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parseExposition(await response.text());
  };

  test('the worker counts what it ran: started, succeeded, failed, retried, and runtimes by task', async () => {
    const m = await eventually(
      async () => {
        const scraped = await scrapeWorker();
        return scraped.value('gwqueue_tasks_total', { task: flaky.name, state: 'succeeded' }) === FLAKY ? scraped : undefined;
      },
      5000,
      'the counters to settle',
    );
    const count = (task: string, state: string) => m.value('gwqueue_tasks_total', { task, queue: 'celery', state }) ?? 0;
    assert.equal(count(add.name, 'started'), ADDS);
    assert.equal(count(add.name, 'succeeded'), ADDS);
    assert.equal(count(add.name, 'failed'), 0);
    assert.equal(count(broken.name, 'failed'), BROKEN);
    assert.equal(count(broken.name, 'succeeded'), 0);
    assert.equal(count(flaky.name, 'started'), 2 * FLAKY);
    assert.equal(count(flaky.name, 'retried'), FLAKY);
    assert.equal(count(flaky.name, 'succeeded'), FLAKY);
    assert.equal(m.types.get('gwqueue_tasks_total'), 'counter');

    assert.equal(m.types.get('gwqueue_task_runtime_seconds'), 'histogram');
    assert.equal(m.value('gwqueue_task_runtime_seconds_count', { task: add.name }), ADDS);
    assert.equal(m.value('gwqueue_task_runtime_seconds_count', { task: flaky.name }), 2 * FLAKY, 'every attempt is timed');
    const buckets = m.find('gwqueue_task_runtime_seconds_bucket', { task: add.name });
    assert.ok(buckets.length >= 10);
    buckets.reduce((previous, bucket) => {
      assert.ok(bucket.value >= previous, 'buckets are cumulative');
      return bucket.value;
    }, 0);
    assert.equal(buckets.find((b) => b.labels.le === '+Inf')?.value, ADDS);
    assert.ok((m.value('gwqueue_task_runtime_seconds_sum', { task: add.name }) ?? -1) >= 0);
  });

  const scrapeConsole = async (): Promise<Exposition> => {
    const response = await request(app).get('/metrics').expect(200);
    return parseExposition(response.text);
  };

  /** Exported by the console alone: one series per queue for the whole deployment, however many workers are scraped. */
  const DEPLOYMENT_METRICS = [
    'gwqueue_redis_up',
    'gwqueue_queue_tasks',
    'gwqueue_queue_oldest_waiting_age_seconds',
    'gwqueue_workers_online',
    'gwqueue_queue_finished_tasks_total',
    'gwqueue_alerts_sent_total',
    'gwqueue_schedule_last_run_timestamp_seconds',
  ];

  test("a worker exports its own process's metrics only, the console the deployment's (so an alert pages once)", async () => {
    const worker = await scrapeWorker();
    const consoleScrape = await scrapeConsole();
    for (const name of DEPLOYMENT_METRICS) {
      assert.equal(worker.types.get(name), undefined, `the worker does not export ${name}`);
      assert.ok(consoleScrape.types.has(name), `the console exports ${name}`);
    }
    assert.ok(worker.find('gwqueue_tasks_total').length > 0);
    assert.equal(worker.value('gwqueue_processes', { role: processRole() }), 1);
    assert.ok(worker.find('process_resident_memory_bytes').length > 0);
  });

  test('the queues, workers online and finished totals come from Redis and match BullMQ', async () => {
    const m = await scrapeConsole();
    const counts = await engine.client.queue('celery').getJobCounts('completed', 'failed', 'wait', 'active');
    assert.equal(m.value('gwqueue_redis_up'), 1);
    assert.equal(m.value('gwqueue_queue_tasks', { queue: 'celery', state: 'completed' }), counts.completed);
    assert.equal(m.value('gwqueue_queue_tasks', { queue: 'celery', state: 'completed' }), ADDS + FLAKY);
    assert.equal(m.value('gwqueue_queue_tasks', { queue: 'celery', state: 'failed' }), BROKEN);
    assert.equal(m.value('gwqueue_queue_tasks', { queue: 'celery', state: 'waiting' }), 0);
    assert.equal(m.value('gwqueue_queue_tasks', { queue: 'voevent', state: 'waiting' }), 2);
    assert.ok((m.value('gwqueue_queue_oldest_waiting_age_seconds', { queue: 'voevent' }) ?? -1) >= 0);
    assert.equal(m.value('gwqueue_queue_oldest_waiting_age_seconds', { queue: 'celery' }), 0);
    assert.equal(m.value('gwqueue_workers_online', { queue: 'celery' }), 1);
    assert.equal(m.value('gwqueue_workers_online', { queue: 'voevent' }), 0);
    assert.equal(m.value('gwqueue_queue_finished_tasks_total', { queue: 'celery', state: 'succeeded' }), ADDS + FLAKY);
    assert.equal(m.value('gwqueue_queue_finished_tasks_total', { queue: 'celery', state: 'failed' }), BROKEN);
  });

  test('the console serves the same deployment numbers, and alerts sent by type, without a session', async () => {
    const outbox = new AlertOutbox(engine.client.redis, engine.config);
    await outbox.send(sampleAlert());
    await outbox.send(sampleAlert({ superevent_id: 'MS240101b' }));
    await outbox.send(sampleAlert({ alert_type: 'UPDATE' }));
    // A scrape within 250 ms of the one before reuses its reading of Redis: scrape until one reads the alerts.
    const response = await eventually(
      async () => {
        const scraped = await request(app).get('/metrics').expect(200);
        return parseExposition(scraped.text).value('gwqueue_alerts_sent_total', { type: 'UPDATE' }) === 1 ? scraped : undefined;
      },
      5000,
      'a scrape that reads the alerts sent',
    );
    assert.equal(response.headers['set-cookie'], undefined, 'no session for a scrape');
    assert.equal(response.headers['cache-control'], 'no-store');
    const m = parseExposition(response.text);
    assert.equal(m.value('gwqueue_alerts_sent_total', { type: 'PRELIMINARY' }), 2);
    assert.equal(m.value('gwqueue_alerts_sent_total', { type: 'UPDATE' }), 1);
    assert.equal(m.value('gwqueue_alerts_sent_total', { type: 'RETRACTION' }), 0, 'known types are present from the start');
    assert.equal(m.types.get('gwqueue_alerts_sent_total'), 'counter');
    assert.equal(m.value('gwqueue_queue_tasks', { queue: 'celery', state: 'completed' }), ADDS + FLAKY);
    assert.equal(m.value('gwqueue_workers_online', { queue: 'celery' }), 1);
  });

  test('process metrics are there, names follow Prometheus conventions, and no task ID is a label', async () => {
    const m = await scrapeWorker();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_cpu_system_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      assert.ok(m.find(name).length > 0, `${name} is exposed`);
    }
    assert.equal(m.types.get('nodejs_gc_duration_seconds'), 'histogram', 'GC durations are exposed');
    for (const [name, type] of m.types) {
      assert.match(name, /^[a-z_][a-z0-9_]*$/, `${name}: lower snake case`);
      if (type === 'counter') assert.match(name, /_total$/, `${name}: a counter ends in _total`);
      if (name.startsWith('gwqueue_')) assert.ok(m.help.get(name)?.length, `${name} has help`);
    }
    const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
    for (const sample of m.samples) {
      assert.ok(!('id' in sample.labels) && !('task_id' in sample.labels), `${sample.name} has no ID label`);
      assert.ok(!Object.values(sample.labels).some((value) => uuid.test(value)), `${sample.name} has no ID as a label value`);
    }
  });

  test('`gwqueue worker --metrics-port` serves /metrics from the real CLI; a bad port is refused', async () => {
    const port = await freePort();
    const env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: engine.config.prefix, GWQUEUE_ENV: 'test', GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '0' };
    const worker = await startCli(['worker', '-Q', 'voevent', '-n', 'cli-metrics@test', '--metrics-port', String(port)], env, /consuming/);
    try {
      const m = await eventually(
        async () => {
          const scraped = parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
          // That process does not know this test's task: it fails both, and counts them.
          return scraped.value('gwqueue_tasks_total', { task: idle.name, queue: 'voevent', state: 'failed' }) === 2 ? scraped : undefined;
        },
        10_000,
        'the CLI worker to take the two idle tasks',
      );
      assert.equal(m.value('gwqueue_processes', { role: 'worker' }), 1);
      assert.equal(m.find('gwqueue_workers_online').length, 0, "the deployment's gauges are the console's");
      assert.equal((await scrapeConsole()).value('gwqueue_workers_online', { queue: 'voevent' }), 1);
      assert.equal((await fetch(`http://127.0.0.1:${port}/nothing`)).status, 404);
    } finally {
      worker.child.kill('SIGTERM');
      assert.equal(await worker.exited, 0);
    }
    const bad = await runCli(['worker', '--metrics-port', 'ninety'], env);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /--metrics-port must be a whole number/);
  });

  test('with Redis down the scrapes still answer: the console with gwqueue_redis_up 0, the worker with its counters', async () => {
    await redis.kill();
    try {
      // A scrape within 250 ms of the previous one reuses that one's reading of Redis (taken while Redis was up): scrape
      // until one reads Redis anew. The scrape returned must have answered 200 (scrapeConsole asserts it).
      const m = await eventually(
        async () => {
          const scraped = await scrapeConsole();
          return scraped.value('gwqueue_redis_up') === 0 ? scraped : undefined;
        },
        15_000,
        'a scrape that finds Redis down',
      );
      assert.equal(m.value('gwqueue_redis_up'), 0);
      assert.ok(m.find('gwqueue_tasks_total').length > 0, "this process's own counters are still there");
      assert.equal(m.find('gwqueue_queue_tasks').length, 0);
      assert.ok((await scrapeWorker()).find('gwqueue_tasks_total').length > 0, "the worker's endpoint answers without Redis");
    } finally {
      await redis.restart();
    }
  });
});
