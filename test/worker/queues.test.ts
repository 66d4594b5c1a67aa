// GWCelery's queues with real worker processes: -Q takes only known queues, dev serves them all with their own
// concurrency, the example deployment's workers (deploy/systemd) serve each queue once, each task runs on the worker of
// its queue, and Nagios, /readyz, the Queues page and inspect name a queue nobody serves. Runs dist/ (`npm run build`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type TestRedis } from '../helpers/redis-server.js';
import { eventually } from '../helpers/eventually.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startConsoleProcess, type ConsoleProcess, startProcesses, type Processes } from '../helpers/real-processes.js';
import type { Config } from '../../src/config/index.js';
import { type TaskClient } from '../../src/queue/client.js';
import { liveWorkers } from '../../src/queue/heartbeats.js';
import { queueOverview } from '../../src/queue/queue-overview.js';
import { QUEUES, allTasks, getTask, registeredQueues } from '../../src/queue/registry.js';
import { findForm } from '../../src/forms/registry.js';
import { checkInput, describeProblems } from '../../src/input/check.js';
import '../../src/tasks/index.js';

type Started = Awaited<ReturnType<typeof startCli>>;

const TABLE = QUEUES.map((queue) => queue.name);

const UNITS = path.resolve(import.meta.dirname, '..', '..', 'deploy', 'systemd');

/** KEY=VALUE lines of an EnvironmentFile (comments and blank lines skipped). */
function envFile(name: string): Record<string, string> {
  const lines = readFileSync(path.join(UNITS, 'env', name), 'utf8').split('\n');
  return Object.fromEntries(
    lines.filter((line) => /^[A-Z_]+=/.test(line)).map((line) => [line.split('=')[0], line.slice(line.indexOf('=') + 1)]),
  );
}

/** The queue groups of the example deployment: worker-GROUP.env → its queues. */
function groups(): Map<string, string[]> {
  const files = readdirSync(path.join(UNITS, 'env')).filter((file) => /^worker-.+\.env$/.test(file));
  return new Map(files.map((file) => [file.slice('worker-'.length, -'.env'.length), envFile(file).GWQUEUE_WORKER_QUEUES.split(',')]));
}

/** The gwqueue arguments of the worker unit's ExecStart for one instance, as systemd expands them (%i, %H, ${VAR}). */
function unitWorkerArgs(group: string, host: string): string[] {
  const unit = readFileSync(path.join(UNITS, 'gwqueue-worker@.service'), 'utf8');
  const exec = /^ExecStart=(.*)$/m.exec(unit)![1].split(/\s+/);
  const groupEnv = envFile(`worker-${group}.env`);
  return exec.slice(exec.findIndex((word) => word.endsWith('/bin/gwqueue.js')) + 1).map((word) =>
    word
      .replace(/%i/g, group)
      .replace(/%H/g, host)
      .replace(/\$\{(\w+)\}/g, (_, name: string) => groupEnv[name]),
  );
}

describe('queues like GWCelery', () => {
  let environment: Processes;
  let redis: TestRedis;
  let config: Config;
  let client: TaskClient;
  let env: Record<string, string>;
  const processes: Started[] = [];
  let web: ConsoleProcess | undefined;

  /** `gwqueue-worker@GROUP` of the example deployment, on the host "routes". */
  const unitWorker = async (group: string) => {
    const started = await startCli(unitWorkerArgs(group, 'routes'), env, /consuming/, 60_000);
    processes.push(started);
    return started;
  };
  const stop = async (started: Started) => {
    started.child.kill('SIGTERM');
    await started.exited;
  };
  const online = async (name: string) =>
    eventually(async () => (await liveWorkers(client.redis, config)).find((w) => w.name === name), 10_000, `${name} online`);

  /** GET /readyz once it has measured (its own 2 s bound may pass on a loaded box: then ask again). */
  async function readyz(): Promise<{ status: number; unserved: string[] | undefined }> {
    return eventually(
      async () => {
        const response = await fetch(`${web!.url}/readyz`);
        const body = (await response.json()) as { findings: { check: string; names?: string[] }[] };
        const queues = body.findings.find((f) => f.check === 'queues');
        return queues ? { status: response.status, unserved: queues.names } : undefined;
      },
      30_000,
      '/readyz to measure',
    );
  }

  /** Validates the form's fields, enqueues its chain and waits for the last step's result. */
  async function runForm(name: string, fields: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const form = findForm(name)!;
    const checked = checkInput(form.input, fields);
    if (!checked.ok) throw new Error(`${name}: ${describeProblems(checked.problems)}`);
    const handle = await client.apply(form.build(checked.value, { user: 'alice', config }), { submittedBy: 'alice' });
    return (await handle.get({ timeout: 60 })) as Record<string, unknown>;
  }

  before(async () => {
    const settings = { GWQUEUE_HEARTBEAT_MS: '200', GWQUEUE_JOINT_MDC_FREQ: '0', GWQUEUE_MOCK_JOINT_DELAY: '0.2' };
    environment = await startProcesses({ env: settings });
    redis = environment.redis;
    config = environment.config;
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: config.prefix, GWQUEUE_ENV: 'test', ...settings };
    client = environment.client;
  });
  after(async () => {
    await web?.stop();
    for (const started of processes) started.child.kill('SIGKILL');
    await Promise.all(processes.map((started) => started.exited));
    await environment?.stop();
  });

  test('every task names a queue of the table, routed as GWCelery routes it', () => {
    assert.deepEqual(TABLE, ['celery', 'superevent', 'exttrig', 'em-bright', 'highmem', 'openmp', 'multiprocessing', 'kafka', 'voevent']);
    for (const task of allTasks()) assert.ok(TABLE.includes(task.queue), `${task.name} on unknown queue ${task.queue}`);
    const queueOf = (name: string) => getTask(name).queue;
    assert.equal(queueOf('gwqueue.tasks.superevents.process'), 'superevent');
    assert.equal(queueOf('gwqueue.tasks.external_triggers.handle_grb_gcn'), 'exttrig');
    assert.equal(queueOf('gwqueue.tasks.raven.apply_raven_labels'), 'exttrig');
    assert.equal(queueOf('gwqueue.tasks.orchestrator.preliminary_alert'), 'kafka');
    assert.equal(queueOf('gwqueue.tasks.orchestrator.update_alert'), 'kafka');
    assert.equal(queueOf('gwqueue.tasks.gracedb.create_label'), 'celery');
    assert.equal(queueOf('gwqueue.tasks.first2years.upload_event'), 'celery');
    assert.deepEqual(registeredQueues(), [...TABLE].sort(), 'every queue is expected, even one no task uses yet');
  });

  test('worker -Q refuses an unknown queue with one line listing the known ones (exit 64); a misnamed per-queue setting exits 78', async () => {
    const typo = await runCli(['worker', '-Q', 'superevent,em_bright'], env);
    assert.equal(typo.code, 64, typo.stderr);
    const lines = typo.stderr.trim().split('\n');
    assert.equal(lines.length, 1, typo.stderr);
    assert.match(
      lines[0],
      /unknown queue em_bright \(known: celery, superevent, exttrig, em-bright, highmem, openmp, multiprocessing, kafka, voevent\)/,
    );
    const setting = await runCli(['worker', '-Q', 'superevent'], { ...env, GWQUEUE_QUEUE_CONCURRENCY: 'superevnt=2' });
    assert.equal(setting.code, 78, setting.stderr);
    assert.match(setting.stderr.trim(), /^[^\n]*GWQUEUE_QUEUE_CONCURRENCY: unknown queue superevnt \(known: celery, /);
    const malformed = await runCli(['worker', '-Q', 'superevent'], { ...env, GWQUEUE_QUEUE_CONCURRENCY: 'superevent:2' });
    assert.equal(malformed.code, 78, malformed.stderr);
    assert.match(malformed.stderr, /GWQUEUE_QUEUE_CONCURRENCY: "superevent:2" is not queue=number/);
    // gwqueue dev refuses it before it starts anything: no embedded Redis left behind.
    const varDir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-dev-'));
    try {
      const devEnv = { ...env, REDIS_URL: '', GWQUEUE_VAR_DIR: varDir, GWQUEUE_QUEUE_CONCURRENCY: 'em_bright=2' };
      const dev = await runCli(['dev', '--port', '0'], devEnv, { timeoutMs: 60_000 });
      assert.equal(dev.code, 78, dev.stderr);
      assert.match(dev.stderr, /GWQUEUE_QUEUE_CONCURRENCY: unknown queue em_bright/);
      assert.ok(!existsSync(path.join(varDir, 'redis')), 'no embedded Redis was started');
    } finally {
      rmSync(varDir, { recursive: true, force: true });
    }
    assert.equal((await liveWorkers(client.redis, config)).length, 0, 'no worker started');
  });

  test("gwqueue dev serves every queue, each with GWCelery's concurrency unless configured", async () => {
    const dev = await startCli(
      ['dev', '--port', '0'],
      { ...env, GWQUEUE_CONCURRENCY: '6', GWQUEUE_QUEUE_CONCURRENCY: 'highmem=3' },
      /ready\. Press Ctrl-C/,
      40_000,
    );
    processes.push(dev);
    try {
      const name = /worker (\S+) consuming/.exec(dev.output())![1];
      const live = await online(name);
      assert.deepEqual([...live.info.queues].sort(), [...TABLE].sort());
      assert.deepEqual(live.info.queueConcurrency, {
        celery: 6,
        'em-bright': 2,
        exttrig: 1,
        highmem: 3,
        kafka: 1,
        multiprocessing: 1,
        openmp: 1,
        superevent: 1,
        voevent: 1,
      });
      // The dashboard's worker page says each queue's.
      const console = /console at (http:\/\/\S+)/.exec(dev.output())![1];
      const page = await (await fetch(`${console}/flower/workers/${encodeURIComponent(name)}`)).text();
      assert.match(
        page,
        /Concurrency<\/dt><dd class="col-7 tabular">celery 6, em-bright 2, exttrig 1, highmem 3, kafka 1, multiprocessing 1, openmp 1, superevent 1, voevent 1</,
      );
      const nagios = await runCli(['nagios', '-t', '30'], env, { timeoutMs: 60_000 });
      assert.equal(nagios.code, 0, nagios.stdout);
      assert.match(nagios.stdout, /^OK: gwqueue is running normally - 1 worker online, 9 queues served/);
    } finally {
      // Its worker serves every queue: it must not take the next test's tasks.
      dev.child.kill('SIGINT');
    }
    assert.equal(await dev.exited, 0);
  });

  test('the example deployment serves every queue once, one worker per group, with its own concurrency', () => {
    const deployed = [...groups().values()].flat();
    assert.deepEqual([...deployed].sort(), [...TABLE].sort(), 'every queue in exactly one group');
    assert.deepEqual(unitWorkerArgs('superevent', 'emfollow'), ['worker', '-n', 'superevent@emfollow', '-Q', 'superevent']);
    assert.equal(envFile('gwqueue.env').GWQUEUE_ENV, 'production');
  });

  test('each task runs on the worker of its queue; a queue nobody serves is named by Nagios, /readyz, inspect and the Queues page', async () => {
    // The example deployment's workers (deploy/systemd): first the groups the main job needs.
    const first = ['celery', 'superevent', 'exttrig', 'kafka'];
    await Promise.all(first.map((group) => unitWorker(group)));
    await Promise.all(first.map((group) => online(`${group}@routes`)));
    const superevent = await online('superevent@routes');
    assert.deepEqual(superevent.info.queueConcurrency, { superevent: 1 });

    const mock = await runForm('send_mock_joint_event');
    const sid = mock.superevent_id as string;
    await eventually(async () => (await client.queue('superevent').getCompletedCount()) > 0, 20_000, 'the grouping to finish');
    await runForm('apply_raven_labels', { superevent_id: sid, ext_id: mock.external_id, event_id: mock.graceid });
    const alert = await runForm('send_preliminary_gcn', { superevent_id: sid, event_id: mock.graceid });
    assert.equal(alert.alert_type, 'PRELIMINARY');

    // Labels may still set off a grouping (label_added): let everything settle before reading where it ran.
    const busy = async () => {
      const counts = await Promise.all(
        registeredQueues().map((q) => client.queue(q).getJobCounts('active', 'waiting', 'delayed', 'waiting-children', 'prioritized')),
      );
      return counts.flatMap((c) => Object.values(c)).reduce((sum, n) => sum + n, 0);
    };
    await eventually(async () => (await busy()) === 0, 20_000, 'every queue to be idle');
    const ran = new Map<string, Set<string>>();
    for (const queue of registeredQueues()) {
      const jobs = (await client.queue(queue).getJobs(['completed', 'failed'])).filter(Boolean);
      for (const job of jobs) {
        assert.equal(await job.getState(), 'completed', `${job.name} on ${queue}: ${job.failedReason ?? ''}`);
        assert.equal(getTask(job.name).queue, queue, `${job.name} landed on ${queue}`);
        assert.equal(job.processedBy, `${queue}@routes`, `${job.name} ran on the ${queue} worker`);
        ran.set(queue, (ran.get(queue) ?? new Set()).add(job.name));
      }
    }
    assert.ok(ran.get('superevent')?.has('gwqueue.tasks.superevents.process'));
    assert.ok(ran.get('exttrig')?.has('gwqueue.tasks.raven.apply_raven_labels'));
    assert.ok(ran.get('kafka')?.has('gwqueue.tasks.orchestrator.preliminary_alert'));
    assert.ok(ran.get('celery')?.has('gwqueue.tasks.first2years.upload_event'));
    assert.deepEqual([...ran.keys()].sort(), [...first].sort(), 'nothing ran anywhere else');

    // Five queues have no worker: every monitoring face names them.
    const unserved = ['em-bright', 'highmem', 'multiprocessing', 'openmp', 'voevent'];
    web = await startConsoleProcess(env);
    const nagios = await runCli(['nagios', '-t', '30'], env, { timeoutMs: 60_000 });
    assert.equal(nagios.code, 2, nagios.stdout);
    assert.match(nagios.stdout, /^CRITICAL: Not all expected queues are active/);
    assert.match(nagios.stdout, new RegExp(`^Missing queues: ${unserved.join(', ')}$`, 'm'));
    assert.deepEqual(await readyz(), { status: 503, unserved });
    const inspect = await runCli(['inspect', 'active_queues', '-t', '10'], env, { timeoutMs: 60_000 });
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stderr, new RegExp(`^gwqueue: no worker consumes queue ${unserved.join(', ')}$`, 'm'));
    for (const queue of first) assert.match(inspect.stdout, new RegExp(`^-> ${queue}@routes: OK\\n {4}\\* ${queue}$`, 'm'));
    const overview = await queueOverview(client);
    assert.deepEqual(
      overview.filter((q) => q.unserved).map((q) => q.name),
      unserved,
    );
    const page = await (await fetch(`${web.url}/flower/queues`)).text();
    for (const queue of unserved) assert.match(page, new RegExp(`id="queue-${queue}"[^>]*class="table-danger"`));
    assert.match(page, /No worker consumes em-bright, highmem, multiprocessing, openmp, voevent/);

    // The special nodes' groups and the other two: only voevent is left.
    const more = ['em-bright', 'highmem', 'openmp', 'multiprocessing'];
    await Promise.all(more.map((group) => unitWorker(group)));
    const highmem = await online('highmem@routes');
    assert.deepEqual(highmem.info.queueConcurrency, { highmem: 2 });
    await Promise.all(more.map((group) => online(`${group}@routes`)));
    const one = await runCli(['nagios', '-t', '30'], env, { timeoutMs: 60_000 });
    assert.equal(one.code, 2, one.stdout);
    assert.match(one.stdout, /^Missing queues: voevent$/m);
    assert.deepEqual(await readyz(), { status: 503, unserved: ['voevent'] });

    const voevent = await unitWorker('voevent');
    await online('voevent@routes');
    const all = await runCli(['nagios', '-t', '30'], env, { timeoutMs: 60_000 });
    assert.equal(all.code, 0, all.stdout);
    assert.match(all.stdout, /^OK: gwqueue is running normally - 9 workers online, 9 queues served/);
    assert.deepEqual(await readyz(), { status: 200, unserved: [] });
    // The Queues page: how many tasks of each queue run at once, its live workers together.
    const slots = Object.fromEntries((await queueOverview(client)).map((q) => [q.name, q.concurrency]));
    const expected = {
      celery: 4,
      'em-bright': 2,
      exttrig: 1,
      highmem: 2,
      kafka: 1,
      multiprocessing: 1,
      openmp: 1,
      superevent: 1,
      voevent: 1,
    };
    assert.deepEqual(slots, expected);
    const queuesPage = await (await fetch(`${web.url}/flower/queues`)).text();
    assert.match(queuesPage, /id="queue-highmem"(?:(?!<\/tr>)[\s\S])*1 live<\/span> <span[^>]*>2 at once</);
    const served = await runCli(['inspect', 'active_queues', '-t', '10'], env, { timeoutMs: 60_000 });
    assert.doesNotMatch(served.stderr, /no worker consumes/);
    await stop(voevent);
  });
});
