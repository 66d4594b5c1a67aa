// A full Redis (maxmemory reached, noeviction) under real workers, a real console, the CLI and Nagios: every accepted chain completes once memory is back, nothing is lost or doubled; the console answers 503 "Nothing was submitted", the CLI exits 69, Nagios and /readyz say CRITICAL naming memory, and warn before it is full.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { everyTaskFinished, startInProcess, testConfig, type InProcess } from '../helpers/in-process.js';
import { eventually, sleep } from '../helpers/eventually.js';
import { runCli, startCli } from '../helpers/cli.js';
import { apiFormHeaders, startConsoleProcess, type ConsoleProcess } from '../helpers/real-processes.js';
import { connectClient, type TaskClient } from '../../src/queue/client.js';
import { sendMockEvent } from '../../src/forms/send-mock-event.js';
import { EmbeddedGraceDb } from '../../src/gracedb/index.js';
import { bullPrefix } from '../../src/redis/keys.js';
import { checkStatus } from '../../src/health/check-status.js';
import { readRedisMemory } from '../../src/redis/memory.js';
import type { Config } from '../../src/config/index.js';
import { registeredQueues } from '../../src/queue/registry.js';
import '../../src/tasks/index.js';
import { defineTask } from '../../src/queue/registry.js';

/** A task that runs until the test lets it finish (on a queue of its own: the CLI workers do not know it). */
let started = (): void => undefined;
const holding = new Promise<void>((resolve) => (started = resolve));
let release = (): void => undefined;
const released = new Promise<void>((resolve) => (release = resolve));
let runs = 0;
const hold = defineTask({
  name: 'gwqueue.tests.full.hold',
  queue: 'test-full',
  description: 'Runs until the test releases it; counts its runs.',
  params: {},
  async run() {
    runs++;
    started();
    await released;
    return 'released';
  },
});

const TOKEN = 'full-redis-token-0123456789abcdef';
const CHAINS = 10;
/** How long Redis stays full once the workers have hit it: the fault under test, so a fixed length. */
const FULL_MS = 8000;

type Child = Awaited<ReturnType<typeof startCli>>;

describe('Redis full (maxmemory reached)', () => {
  let redis: TestRedis;
  let direct: Redis;
  let config: Config;
  let env: Record<string, string>;
  let web: ConsoleProcess;
  const workers: Child[] = [];

  before(async () => {
    redis = await startRedis();
    config = testConfig(redis.url);
    direct = new Redis(redis.url, { maxRetriesPerRequest: null });
    direct.on('error', () => {});
    // BullMQ needs noeviction (Redis' default): a full Redis refuses writes rather than dropping queued tasks.
    await direct.config('SET', 'maxmemory-policy', 'noeviction');
    env = {
      REDIS_URL: redis.url,
      GWQUEUE_PREFIX: config.prefix,
      GWQUEUE_ENV: 'test',
      GWQUEUE_HEARTBEAT_MS: '500',
      GWQUEUE_LOG_LEVEL: 'warn',
      // A task whose completion Redis refused is picked up again once its lock has expired: keep that short here.
      GWQUEUE_LOCK_DURATION_MS: '3000',
      GWQUEUE_RETRY_BACKOFF_MS: '200',
      GWQUEUE_RETRY_MAX_BACKOFF_MS: '1000',
      // Fewer attempts than a full Redis lasts here (8 s at most 1 s apart): a task must wait for memory within its
      // attempt, not spend its attempts on refusals.
      GWQUEUE_RETRY_REDIS_ATTEMPTS: '3',
      GWQUEUE_API_TOKENS: `robot=${TOKEN}`,
    };
    web = await startConsoleProcess(env);
  });
  after(async () => {
    await direct?.config('SET', 'maxmemory', '0').catch(() => {});
    await web?.stop();
    for (const worker of workers) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    direct?.disconnect();
    await redis?.stop();
  });

  /**
   * Makes Redis full now: maxmemory set at runtime below what it uses, so that every write is refused whatever the
   * workers' own traffic frees meanwhile (just above it, the locks and buffers they free let small writes in and out:
   * a Redis that flaps, not one that is full).
   */
  async function fill(): Promise<void> {
    const { usedBytes } = await readRedisMemory(direct);
    await direct.config('SET', 'maxmemory', String(Math.floor(usedBytes * 0.7)));
    await assert.rejects(direct.set('probe', 'x'), /^ReplyError: OOM command not allowed/);
  }

  async function unfill(): Promise<void> {
    await direct.config('SET', 'maxmemory', '0');
  }

  const submit = (key: string) =>
    fetch(`${web.url}/send_mock_event`, { method: 'POST', headers: apiFormHeaders(TOKEN, key), body: '' }).then(async (res) => ({
      status: res.status,
      body: JSON.parse(await res.text()) as { id?: string; error?: string; submitted?: unknown; duplicate?: boolean },
    }));

  test('workers, console, CLI and Nagios while full; every accepted chain completes once memory is back', async (t) => {
    let client: TaskClient = await connectClient(config);
    // The chains wait in a paused queue until the workers run and Redis is about to be full: uploads of a mock event
    // take milliseconds, so chains let go as they are submitted could all be done before Redis is full.
    await client.queue('celery').pause();
    const ids: string[] = [];
    for (let i = 0; i < CHAINS - 1; i++) {
      const canvas = sendMockEvent.build({}, { user: 'robot', config });
      ids.push((await client.apply(canvas, { submittedBy: 'robot' })).id);
    }
    const accepted = await submit(`before-${randomUUID()}`);
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    ids.push(accepted.body.id!);
    for (const name of ['a', 'b']) workers.push(await startCli(['worker', '-n', `${name}@full`, '-c', '4'], env, /consuming/));

    // Full as the first uploads start: their GraceDB writes, their grouping tasks, their next steps, their completions.
    await client.queue('celery').resume();
    await client.close();
    await fill();
    const fullAt = Date.now();

    // The console: a submission refused by a full Redis did nothing, and says so.
    const key = `full-${randomUUID()}`;
    const refused = await submit(key);
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.submitted, false);
    assert.match(refused.body.error!, /out of memory.*Nothing was submitted/);
    // Its claim was released: nothing pending under the key.
    assert.equal(await direct.get(`${bullPrefix(config)}:submission:${key}`), null);

    // The CLI: Redis is unavailable (69), one line naming memory, not "internal error" (70).
    const called = await runCli(['call', 'gwqueue.tasks.core.add', '--args', '[1, 2]'], env, { timeoutMs: 30_000 });
    assert.equal(called.code, 69, called.stderr);
    assert.match(called.stderr, /^gwqueue: .*out of memory.*\n$/);
    const chained = await runCli(['chain', 'send_mock_event'], env, { timeoutMs: 30_000 });
    assert.equal(chained.code, 69, chained.stderr);
    assert.match(chained.stderr, /out of memory/);

    // Nagios and /readyz: CRITICAL, naming memory.
    const nagios = await runCli(['nagios', '-t', '8'], env, { timeoutMs: 30_000 });
    assert.equal(nagios.code, 2, nagios.stdout);
    assert.match(nagios.stdout, /^CRITICAL: Redis is out of memory/);
    const readyz = await fetch(`${web.url}/readyz`, { headers: { accept: 'application/json' } });
    assert.equal(readyz.status, 503);
    assert.match(((await readyz.json()) as { summary: string }).summary, /^Redis is out of memory/);
    // The metrics say how full it is.
    const metrics = await (await fetch(`${web.url}/metrics`)).text();
    const used = Number(/^gwqueue_redis_memory_used_bytes (\d+)/m.exec(metrics)?.[1]);
    const max = Number(/^gwqueue_redis_memory_max_bytes (\d+)/m.exec(metrics)?.[1]);
    assert.ok(max > 0 && used > max, `used ${used}, max ${max}`);

    // The workers met the refusals (a retry, never a final failure).
    await eventually(() => workers.some((w) => /OOM command not allowed|out of memory/.test(w.output())), 20_000, 'a worker refused');
    const left = FULL_MS - (Date.now() - fullAt);
    if (left > 0) await sleep(left);
    await unfill();
    const freedAt = Date.now();

    client = await connectClient(config);
    const states = await everyTaskFinished(client, ids, 90_000, () => workers.map((w) => w.output().slice(-1500)).join('\n'));

    // The refused key, sent again: a new submission (nothing was made the first time), then a duplicate of it.
    const again = await submit(key);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    const twice = await submit(key);
    assert.equal(twice.body.duplicate, true);
    assert.equal(twice.body.id, again.body.id);

    const failed: string[] = [];
    for (const queue of registeredQueues()) {
      for (const job of await client.queue(queue).getJobs(['failed'])) failed.push(`${queue} ${job.name} ${job.failedReason}`);
    }
    const store = new EmbeddedGraceDb(client.redis, bullPrefix(config));
    const events = (await store.searchEvents('MDC').catch(() => [])).filter((e) => !e.graceid.startsWith('E'));
    const results = await Promise.all(
      ids.map(async (id) => ((await client.findJob(id))!.returnvalue as { graceid?: string } | null)?.graceid),
    );
    const refusals = workers.map((w) => (w.output().match(/OOM command not allowed|out of memory/g) ?? []).length);
    t.diagnostic(
      `figures: ${JSON.stringify({
        chains: CHAINS,
        completed: [...states.values()].filter((state) => state === 'completed').length,
        failedJobs: failed.length,
        mockEvents: events.length,
        workerLogLinesNamingOom: refusals,
        secondsFull: (freedAt - fullAt) / 1000,
        secondsToCompleteAfterFreed: (Date.now() - freedAt) / 1000,
      })}`,
    );
    assert.deepEqual(failed, []);
    for (const id of ids) assert.equal(states.get(id), 'completed', `chain ${id}`);
    // Once each: an upload retried after a refusal uploads no second event (the 11th is the resubmitted key's).
    assert.equal(new Set(results).size, CHAINS);
    const resubmitted = await client.findJob(again.body.id!);
    await eventually(async () => (await resubmitted!.getState()) === 'completed' || undefined, 30_000, 'the resubmitted chain');
    // The chains' own uploads (a superevent may also get a mock external event, E…, by chance).
    const all = (await store.searchEvents('MDC')).filter((e) => !e.graceid.startsWith('E'));
    assert.equal(all.length, CHAINS + 1, JSON.stringify(all.map((e) => [e.graceid, e.gpstime])));
    for (const worker of workers) assert.equal(worker.child.exitCode, null, 'the worker kept running');
    // The workers held still while Redis was full (BullMQ alone asks again at once: up to 30,000 refusals in 8 s, each
    // logged), and said so.
    for (const worker of workers) assert.match(worker.output(), /Redis is out of memory \(maxmemory reached\): taking no new task/);
    for (const count of refusals) assert.ok(count < 1000, `${count} log lines naming the refusal`);
    await client.close();
  });

  test('a task that ends while Redis is full completes, once (or, its completion refused, runs again once memory is back)', async (t) => {
    const engine: InProcess = await startInProcess({
      redis,
      env: { GWQUEUE_LOCK_DURATION_MS: '2000', GWQUEUE_RETRY_MAX_BACKOFF_MS: '500', GWQUEUE_HEARTBEAT_MS: '500' },
    });
    try {
      await engine.startWorker({ name: 'hold@full', queues: ['test-full'] });
      const handle = await hold.delay();
      await holding;
      await fill();
      const fullAt = Date.now();
      // BullMQ's moveToFinished is a script whose first write (the lock's DEL) is not one Redis refuses when full, and
      // a script that has written goes on: the completion goes through. Were it refused, BullMQ's move to failed would
      // be too: the job would stay active with its lock no longer renewed, and the stalled-job check would put it back
      // in the queue once memory is back (a second run, which the task's write records make harmless).
      release();
      const job = (await engine.client.findJob(handle.id))!;
      await eventually(async () => ['completed', 'failed'].includes(await job.getState()) || undefined, 20_000, 'the task to end');
      const endedAt = Date.now();
      await unfill();
      const done = (await engine.client.findJob(handle.id))!;
      t.diagnostic(
        `figures: ${JSON.stringify({ runs, state: await done.getState(), stalledCounter: done.stalledCounter, secondsFullBeforeItEnded: (endedAt - fullAt) / 1000 })}`,
      );
      assert.equal(await done.getState(), 'completed');
      assert.equal(done.returnvalue, 'released');
      assert.ok(runs <= 2, `${runs} runs`);
    } finally {
      await unfill();
      await engine.stop();
    }
  });

  test('the health check warns above 80 % of maxmemory, before Redis is full', async () => {
    const { usedBytes } = await readRedisMemory(direct);
    await direct.config('SET', 'maxmemory', String(Math.round(usedBytes / 0.87)));
    try {
      const result = await checkStatus(config, { timeoutMs: 8000 });
      const memory = result.findings.find((f) => f.check === 'redis-memory');
      assert.equal(memory?.status, 'WARNING', JSON.stringify(result.findings));
      assert.match(memory!.summary, /Redis uses 8\d(\.\d)? % of its maxmemory .*\(warning: /);
      assert.ok(result.perfdata.some((p) => p.label === 'redis_memory' && p.warning === '80' && p.critical === '95'));
      // A threshold of the operator's moves it.
      const relaxed = await checkStatus(config, { timeoutMs: 8000, thresholds: { 'redis-memory': { warning: '90' } } });
      assert.equal(relaxed.findings.find((f) => f.check === 'redis-memory')?.status, 'OK');
    } finally {
      await direct.config('SET', 'maxmemory', '0');
    }
  });
});
