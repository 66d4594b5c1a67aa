// Schedules and the end-to-end canary with real worker processes: once per interval under two workers, inspect, the
// Schedules page, the metric, stopping a schedule ages the canary to WARNING then CRITICAL, the alert sink's health.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { type TestRedis } from '../helpers/redis-server.js';
import { runCli, startCli } from '../helpers/cli.js';
import { eventually, sleep } from '../helpers/eventually.js';
import { startConsoleProcess, type ConsoleProcess, startProcesses, type Processes } from '../helpers/real-processes.js';
import { parsePluginOutput } from '../health/plugin-output-parser.js';
import { startHangingServer } from '../health/unresponsive-servers.js';
import type { Config } from '../../src/config/index.js';
import { bullPrefix, outboxKeys } from '../../src/redis/keys.js';
import { type TaskClient } from '../../src/queue/client.js';
import { seenWorkers } from '../../src/queue/heartbeats.js';
import { createGraceDb } from '../../src/gracedb/index.js';
import { embeddedKeys } from '../../src/gracedb/embedded-keys.js';
import { allSchedules, FIRE_TASK, scheduledTaskId, type ScheduleDefinition } from '../../src/schedules/schedule-registry.js';
import { readSchedules } from '../../src/schedules/schedulers.js';
import '../../src/tasks/index.js';

type Worker = Awaited<ReturnType<typeof startCli>>;

const SNEWS_EVERY_MS = 2000;
const EVENT_EVERY_MS = 3000;

describe('schedules and the canary', () => {
  let environment: Processes;
  let redis: TestRedis;
  let connection: Redis;
  let config: Config;
  let env: Record<string, string>;
  let client: TaskClient;
  let web: ConsoleProcess | undefined;
  const workers: Worker[] = [];
  const schedule = (name: string): ScheduleDefinition => allSchedules().find((s) => s.name === name)!;
  const queues = new Map<string, Queue>();
  const queue = (name: string) => {
    if (!queues.has(name)) queues.set(name, new Queue(name, { connection, prefix: bullPrefix(config) }));
    return queues.get(name)!;
  };
  const jobsNamed = async (queueName: string, name: string): Promise<Job[]> =>
    (await queue(queueName).getJobs(['completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized'], 0, -1)).filter(
      (job) => job && job.name === name,
    );
  /** The firings of a schedule so far (done or running): BullMQ jobs `repeat:<schedule>:<slot>`. */
  const firings = async (name: string) =>
    (await jobsNamed(schedule(name).task.queue, FIRE_TASK)).filter((job) => job.data.args[0] === name && job.processedOn);
  const runs = (name: string) => jobsNamed(schedule(name).task.queue, schedule(name).task.name);
  const startWorker = async (name: string, extra: Record<string, string> = {}) => {
    const worker = await startCli(['worker', '-n', name], { ...env, ...extra }, /consuming/, 30_000);
    workers.push(worker);
    return worker;
  };
  const nagios = (extra: Record<string, string> = {}) => runCli(['nagios', '-v'], { ...env, ...extra });
  /** Runs the Nagios check until its run passes `wanted` (bounded): the state the test waits for may take a while. */
  const nagiosUntil = (
    extra: Record<string, string>,
    wanted: (run: Awaited<ReturnType<typeof nagios>>) => boolean,
    timeoutMs: number,
    label: string,
  ) =>
    eventually(
      async () => {
        const run = await nagios(extra);
        return wanted(run) ? run : undefined;
      },
      timeoutMs,
      label,
    );

  before(async () => {
    environment = await startProcesses();
    redis = environment.redis;
    config = environment.config;
    connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    env = {
      REDIS_URL: redis.url,
      GWQUEUE_PREFIX: config.prefix,
      GWQUEUE_ENV: 'test',
      GWQUEUE_HEARTBEAT_MS: '300',
      GWQUEUE_SCHEDULE_MOCK_SNEWS: 'on',
      GWQUEUE_SCHEDULE_MOCK_SNEWS_EVERY: String(SNEWS_EVERY_MS / 1000),
      GWQUEUE_SCHEDULE_MOCK_EVENT: 'on',
      GWQUEUE_SCHEDULE_MOCK_EVENT_EVERY: String(EVENT_EVERY_MS / 1000),
    };
    client = environment.client;
  });
  after(async () => {
    await web?.stop();
    for (const worker of workers) {
      worker.child.kill('SIGTERM');
      await Promise.race([worker.exited, sleep(5000)]);
      worker.child.kill('SIGKILL');
    }
    await Promise.all([...queues.values()].map((q) => q.close()));
    connection?.disconnect();
    await environment?.stop();
  });

  test('two workers (one joining later): each schedule runs once per interval, each run uploads once', async () => {
    await startWorker('first@test');
    await eventually(async () => (await firings('mock-snews')).length >= 2, 60_000, 'two firings under one worker');
    // A second worker upserts the same schedules when it starts: that must not add a run.
    await startWorker('second@test');
    const started = Date.now();
    await eventually(
      async () => (await runs('mock-snews')).filter((job) => job.finishedOn && job.finishedOn > started).length >= 3,
      60_000,
      'three more SNEWS uploads under two workers',
    );
    await eventually(async () => (await runs('mock-event')).filter((job) => job.finishedOn).length >= 2, 60_000, 'two mock events');
    const now = Date.now();

    for (const [name, every] of [
      ['mock-snews', SNEWS_EVERY_MS],
      ['mock-event', EVENT_EVERY_MS],
    ] as const) {
      const fired = await firings(name);
      const slots = fired.map((job) => Number(job.id!.split(':').pop())).sort((a, b) => a - b);
      assert.equal(new Set(slots).size, slots.length, `${name}: one firing per slot`);
      for (let i = 1; i < slots.length; i++) assert.equal(slots[i] - slots[i - 1], every, `${name}: firings one interval apart (${slots})`);
      assert.ok(slots.length <= Math.floor((now - slots[0]) / every) + 1, `${name}: no more firings than intervals elapsed`);
      // Each firing started exactly one task, under the ID derived from it, submitted by the schedule.
      const tasks = await runs(name);
      const expected = fired.map((job) => scheduledTaskId(config, job.id!)).sort();
      const startedTasks = tasks.map((job) => job.id!).sort();
      for (const id of expected.filter((id) => fired.find((job) => scheduledTaskId(config, job.id!) === id)!.finishedOn))
        assert.ok(startedTasks.includes(id), `${name}: the task of a finished firing exists`);
      assert.ok(
        startedTasks.every((id) => expected.includes(id)),
        `${name}: no task that a firing did not start`,
      );
      assert.ok(tasks.every((job) => job.data.meta.submittedBy === `schedule ${name}`));
    }
    // Nothing doubled downstream: one SNEWS external event in GraceDB per finished upload task.
    const gracedb = createGraceDb({ redis: connection, prefix: bullPrefix(config) });
    const uploaded = (await runs('mock-snews')).filter((job) => job.finishedOn && !job.failedReason);
    const events = await gracedb.searchEvents('External SNEWS');
    assert.deepEqual(events.map((event) => event.graceid).sort(), uploaded.map((job) => job.returnvalue.graceid).sort());
    assert.ok(events.every((event) => event.search === 'MDC' && event.pipeline === 'SNEWS'));
  });

  test('gwqueue inspect scheduled: the next firing per worker, and every schedule with its next and last run', async () => {
    const text = await runCli(['inspect', 'scheduled'], env);
    assert.equal(text.code, 0, text.stderr);
    const line = (name: string) =>
      new RegExp(`^    \\* ${name}: (\\S+) every (.+) on queue (\\S+), next (\\S+); last run (\\S+): task (\\S+) (\\w+)`, 'm').exec(
        text.stdout,
      );
    const snews = line('mock-snews');
    assert.ok(snews, text.stdout);
    assert.equal(snews[1], schedule('mock-snews').task.name);
    assert.equal(snews[2], '2 s');
    assert.ok(Date.parse(snews[4]) > Date.now() - SNEWS_EVERY_MS, 'next run is the coming slot');
    assert.match(snews[6], /^[0-9a-f-]{36}$/);
    assert.ok(['completed', 'active', 'waiting'].includes(snews[7]), snews[7]);
    assert.ok(line('mock-event'), text.stdout);
    assert.match(
      text.stdout,
      /^-> first@test: OK\n( {4}\* .*\n)* {4}\* \S+ repeat:mock-snews:\d+ schedule mock-snews \(gwqueue\.tasks\.first2years_external\.upload_snews_event\)$/m,
    );

    const json = JSON.parse((await runCli(['inspect', 'scheduled', '--json'], env)).stdout) as Record<
      string,
      { schedule?: { name: string; every_s: number; last_run: { task_id: string } } }[]
    >;
    const entry = json['second@test'].find((item) => item.schedule?.name === 'mock-snews');
    assert.ok(entry, JSON.stringify(json));
    assert.equal(entry.schedule!.every_s, 2);
    const recorded = (await readSchedules(connection, config)).find((s) => s.name === 'mock-snews')!.lastRun!;
    assert.match(entry.schedule!.last_run.task_id, /^[0-9a-f-]{36}$/);
    assert.ok(entry.schedule!.last_run.task_id === recorded.taskId || recorded.firedAt > Date.now() - 3 * SNEWS_EVERY_MS);
  });

  test('the Schedules page, its JSON and gwqueue_schedule_last_run_timestamp_seconds in /metrics (promtool clean)', async () => {
    web = await startConsoleProcess(env);
    const page = await fetch(`${web.url}/flower/schedules`);
    assert.equal(page.status, 200);
    const html = await page.text();
    const views = await readSchedules(connection, config);
    for (const view of views) {
      assert.match(html, new RegExp(`<tr id="schedule-${view.name}"`));
      assert.ok(
        html.includes(`/tasks/${view.lastRun!.taskId}"`) || view.lastRun!.firedAt > Date.now() - 10_000,
        `${view.name}: link to its last task`,
      );
    }
    assert.match(html, /<td data-label="Every" class="text-nowrap tabular schedule-every">2\.0 s<\/td>/);
    assert.match(html, /aria-current="page" href="[^"]*\/flower\/schedules">Schedules</);

    const api = (await (await fetch(`${web.url}/flower/api/schedules`)).json()) as { name: string; scheduler: { everyMs: number } }[];
    assert.deepEqual(
      api.map((s) => [s.name, s.scheduler.everyMs]),
      [
        ['mock-event', EVENT_EVERY_MS],
        ['mock-snews', SNEWS_EVERY_MS],
      ],
    );

    // A firing is a task like any other: its page and its JSON (the task it started) are found by its ID.
    const firing = views.find((view) => view.name === 'mock-snews')!.lastRun!;
    const firingPage = await fetch(`${web.url}/tasks/${firing.firingId}`);
    assert.equal(firingPage.status, 200);
    assert.match(await firingPage.text(), /gwqueue\.schedules\.fire/);
    const firingJson = (await (await fetch(`${web.url}/api/tasks/${firing.firingId}`)).json()) as {
      name: string;
      result: { task_id: string } | null;
    };
    assert.equal(firingJson.name, FIRE_TASK);
    assert.equal(firingJson.result?.task_id, firing.taskId);

    const metrics = await (await fetch(`${web.url}/metrics`)).text();
    const lastRuns = Object.fromEntries(
      Object.entries(await connection.hgetall(`${bullPrefix(config)}:schedules:last-run`)).map(([name, json]) => [
        name,
        JSON.parse(json).firedAt / 1000,
      ]),
    );
    for (const name of ['mock-event', 'mock-snews']) {
      const value = Number(
        new RegExp(`^gwqueue_schedule_last_run_timestamp_seconds\\{schedule="${name}"\\} (\\S+)$`, 'm').exec(metrics)?.[1],
      );
      // Read after the scrape: the schedule may have fired once more in between.
      assert.ok(value > Date.now() / 1000 - 60 && value <= lastRuns[name], `${name}: ${value} vs ${lastRuns[name]}`);
    }
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
  });

  test('stopping the mock-event schedule ages the canary: OK, then WARNING, then CRITICAL', async () => {
    const canary = { GWQUEUE_NAGIOS_CANARY: 'on', GWQUEUE_NAGIOS_CANARY_AGE: '10,20' };
    const ok = await nagiosUntil(canary, (run) => run.code === 0, 30_000, 'nagios OK with a fresh canary');
    const okOutput = parsePluginOutput(ok.stdout);
    assert.match(okOutput.text, /, newest MDC superevent \S+ (s|ms) old$/);
    assert.equal(okOutput.perfdata.canary_age.unit, 's');
    assert.ok(Number(okOutput.perfdata.canary_age.value) < 10);
    assert.equal(okOutput.perfdata.canary_age.warning, '10');
    assert.equal(okOutput.perfdata.canary_age.critical, '20');
    assert.ok(
      okOutput.details.some((line) =>
        /^OK: schedule mock-event: last run .* ago \(task [0-9a-f-]{36}, gwqueue\.tasks\.first2years\.upload_event\)/.test(line),
      ),
      ok.stdout,
    );

    // Stop the schedule as an operator would: the workers restart with it switched off; the first one removes it.
    for (const worker of workers.splice(0)) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    await startWorker('third@test', { GWQUEUE_SCHEDULE_MOCK_EVENT: 'off' });
    const view = (await readSchedules(connection, config)).find((s) => s.name === 'mock-event')!;
    assert.equal(view.scheduler, null, 'the mock-event schedule is gone from Redis');
    const uploads = (await runs('mock-event')).length;

    const warning = await nagiosUntil(canary, (run) => run.code === 1, 60_000, 'nagios WARNING');
    const warned = parsePluginOutput(warning.stdout);
    assert.match(warned.text, /^newest MDC superevent MS\w+ was created \d+ s ago \(warning: .*10\)/);
    assert.ok(
      warned.details.includes(
        'schedule mock-event is not in Redis (switched off, or no worker of queue celery started since it was switched on)',
      ),
      warning.stdout,
    );
    const critical = await nagiosUntil(canary, (run) => run.code === 2, 60_000, 'nagios CRITICAL');
    const crit = parsePluginOutput(critical.stdout);
    assert.match(crit.text, /^newest MDC superevent MS\w+ was created \d+ s ago \(critical: .*20\)/);
    assert.ok(Number(crit.perfdata.canary_age.value) >= 20, String(crit.perfdata.canary_age.value));
    assert.equal((await runs('mock-event')).length, uploads, 'no mock event after the schedule was stopped');
    // A scheduled run that fails is a WARNING of its own: GraceDB refuses the next SNEWS upload (its ID counter broken).
    const sequence = embeddedKeys(bullPrefix(config)).eventSequence;
    const saved = await connection.get(sequence);
    await connection.set(sequence, 'not a number');
    try {
      const failedRun = await nagiosUntil(
        canary,
        (run) => /^WARNING: The last run of schedule mock-snews failed$/m.test(run.stdout),
        30_000,
        'nagios naming the failed scheduled run',
      );
      assert.match(failedRun.stdout, /^WARNING: The last run of schedule mock-snews failed\ntask [0-9a-f-]{36}: .*not an integer/m);
      const listed = await runCli(['inspect', 'scheduled'], env);
      assert.match(listed.stdout, /^ {4}\* mock-snews: .*; last run \S+: task [0-9a-f-]{36} failed \(.*not an integer.*\)$/m);
    } finally {
      await connection.set(sequence, saved!);
    }
    // GraceDB takes the uploads again: the next run completes (waited for, so that no later check meets the failed one).
    const restored = Date.now();
    await eventually(
      async () => {
        const run = (await readSchedules(connection, config)).find((s) => s.name === 'mock-snews')?.lastRun;
        return run && run.firedAt > restored && run.state === 'completed';
      },
      30_000,
      'a completed mock-snews run after GraceDB was repaired',
    );

    // /readyz and the dashboard's verdict say the same, from a console configured with the canary.
    const checked = await startConsoleProcess({ ...env, ...canary });
    try {
      const ready = await fetch(`${checked.url}/readyz`);
      assert.equal(ready.status, 503);
      const body = (await ready.json()) as { status: string; findings: { check: string; status: string; summary: string }[] };
      assert.equal(body.status, 'CRITICAL');
      assert.match(body.findings[0].summary, /^newest MDC superevent MS\w+ was created \d+ s ago \(critical: /);
      assert.equal(body.findings[0].check, 'canary-age');
      const home = await (await fetch(`${checked.url}/flower/`)).text();
      assert.match(home, /newest MDC superevent MS\w+ was created \d+ s ago \(critical: /);
    } finally {
      await checked.stop();
    }
    const inspect = await runCli(['inspect', 'scheduled'], env);
    assert.match(
      inspect.stdout,
      /^ {4}\* mock-event: \S+ not scheduled \(switched off, or no worker of queue celery started since it was switched on\); last run /m,
    );
  });

  test('a GraceDB that does not answer makes the canary UNKNOWN within -t, and the rest of the verdict stands', async () => {
    const server = await startHangingServer({ handshake: false });
    try {
      const port = new URL(server.url).port;
      const started = Date.now();
      const run = await runCli(['nagios', '-v', '-t', '6'], {
        ...env,
        GWQUEUE_NAGIOS_CANARY: 'on',
        GRACEDB_URL: `http://127.0.0.1:${port}/api/`,
      });
      const output = parsePluginOutput(run.stdout);
      assert.equal(run.code, 3, run.stdout);
      assert.match(
        output.text,
        /^Could not read MDC superevents from GraceDB: (GraceDB did not answer within \d+ ms|GET \/api\/superevents\/: .*TimeoutError.*)$/,
      );
      assert.equal(output.perfdata.canary_age.value, 'U');
      assert.ok(
        output.details.some((line) => /^OK: all \d+ expected queues are served$/.test(line)),
        run.stdout,
      );
      assert.ok(Date.now() - started < 6000 + 2000, 'within -t (and the time to start the process)');
    } finally {
      await server.close();
    }
  });

  test("a worker's alert sink reports its health in its heartbeat: the worker page's Other section, nagios", async () => {
    const sinkOf = async () =>
      (await seenWorkers(connection, config)).find((w) => w.name === 'third@test' && w.online)?.info?.components?.[0];
    const healthy = await eventually(sinkOf, 10_000, 'a heartbeat with the sink');
    assert.equal(healthy.name, 'outbox');
    assert.equal(healthy.kind, 'sink');
    assert.equal(healthy.ok, true);
    assert.match(healthy.detail, /^alert outbox \(json\); no alert delivered by this worker yet$/);

    const [superevent] = await createGraceDb({ redis: connection, prefix: bullPrefix(config) }).searchSuperevents('MDC', { count: 1 });
    const alert = () =>
      client.apply({
        kind: 'signature',
        task: 'gwqueue.tasks.orchestrator.preliminary_alert',
        args: [superevent.superevent_id, superevent.preferred_event],
        kwargs: {},
        options: {},
        immutable: true,
      });
    // The outbox's stream key holds a string: every XADD fails (WRONGTYPE), as a broken sink would.
    await connection.set(outboxKeys.stream(config), 'not a stream');
    await assert.rejects((await alert()).get({ timeout: 30 }), /WRONGTYPE/);
    const failing = await eventually(
      async () => {
        const sink = await sinkOf();
        return sink && !sink.ok ? sink : undefined;
      },
      10_000,
      'the failing sink in the heartbeat',
    );
    assert.match(failing.detail, /; 1 failed, last at \S+: WRONGTYPE/);
    const check = await nagios({ GWQUEUE_NAGIOS_CANARY: 'off' });
    assert.equal(check.code, 2, check.stdout);
    const output = parsePluginOutput(check.stdout);
    assert.equal(output.text, 'The alert sink outbox of worker third@test is failing');
    assert.ok(
      output.details.some((line) => line.startsWith('third@test: sink outbox: alert outbox (json)')),
      check.stdout,
    );
    web ??= await startConsoleProcess(env);
    const page = await (await fetch(`${web.url}/flower/workers/third@test`)).text();
    assert.match(page, /<h3 class="h6 mb-0">Other<\/h3>/);
    assert.match(
      page,
      /<li class="worker-component" data-component="outbox"><span class="badge text-bg-danger">failing<\/span> sink <strong>outbox<\/strong>/,
    );

    // Repaired: the next alert gets through and the sink is healthy again.
    await connection.del(outboxKeys.stream(config));
    const sent = (await (await alert()).get({ timeout: 30 })) as { sent: boolean };
    assert.equal(sent.sent, true);
    await eventually(async () => (await sinkOf())?.ok, 10_000, 'the sink healthy again');
    const after = await nagios({ GWQUEUE_NAGIOS_CANARY: 'off' });
    // Still WARNING for the one alert that failed within the hour (failed-alerts), no longer CRITICAL for the sink.
    assert.equal(after.code, 1, after.stdout);
    assert.ok(parsePluginOutput(after.stdout).details.includes('OK: 1 listener or sink healthy'), after.stdout);
  });
});
