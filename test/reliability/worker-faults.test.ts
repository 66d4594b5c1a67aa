// Worker faults as an operator sees them on the console: SIGKILL mid-task → run again elsewhere; SIGTERM → finish, exit 0.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startProcesses, type ConsoleProcess, type Processes } from '../helpers/real-processes.js';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { uploadEvent } from '../gracedb/embedded-fixture.js';
import { EmbeddedGraceDb } from '../../src/gracedb/embedded-store.js';
import { bullPrefix } from '../../src/redis/keys.js';

/** Loaded into the worker and `gwqueue call`: a task that writes to GraceDB, pauses, writes again. */
const WRITE_THEN_WAIT = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'write-then-wait.mjs')).href;

const TOKEN = 'faults-token-0123456789abcdef';

type Child = Awaited<ReturnType<typeof startCli>>;

interface TaskJson {
  state: string;
  attempts: number;
  maxAttempts: number;
  worker: string | null;
  result: unknown;
  logs: string[];
  startedAt: string | null;
  finishedAt: string | null;
}

describe('worker faults, seen from the console', () => {
  let environment: Processes;
  let redis: TestRedis;
  let web: ConsoleProcess;
  let env: Record<string, string>;
  const children: Child[] = [];

  before(async () => {
    environment = await startProcesses({
      env: {
        GWQUEUE_API_TOKENS: `robot=${TOKEN}`,
        // A killed worker's lock expires after 3 s (checked every 1.5 s): quick, yet a busy box does not stall a live one.
        GWQUEUE_LOCK_DURATION_MS: '3000',
        GWQUEUE_HEARTBEAT_MS: '200',
      },
      web: true,
    });
    redis = environment.redis;
    env = environment.env;
    web = environment.web;
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
      await child.exited;
    }
  });
  after(async () => {
    await environment?.stop();
  });

  async function get(path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(web.url + path, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: await res.text() };
  }

  async function task(id: string): Promise<TaskJson> {
    const res = await get(`/api/tasks/${id}`);
    assert.equal(res.status, 200, res.body);
    return JSON.parse(res.body) as TaskJson;
  }

  async function worker(name: string, extraEnv: Record<string, string> = {}): Promise<Child> {
    const child = await startCli(['worker', '-n', name], { ...env, ...extraEnv }, /consuming/, 60_000);
    children.push(child);
    return child;
  }

  /** `gwqueue call gwqueue.tasks.core.sleep`, the real CLI: prints the new task's ID. */
  async function enqueueSleep(seconds: number): Promise<string> {
    const out = await runCli(['call', 'gwqueue.tasks.core.sleep', '--args', JSON.stringify([seconds])], env);
    assert.equal(out.code, 0, out.stderr);
    const id = out.stdout.trim();
    assert.match(id, /^[0-9a-f-]{36}$/);
    return id;
  }

  /** The dashboard's view of a worker: online, or offline because it stopped cleanly or was lost. */
  async function workerStatus(name: string): Promise<{ status: string; offlineReason: string | null }> {
    const res = await get(`/flower/api/workers/${encodeURIComponent(name)}`);
    assert.equal(res.status, 200, res.body);
    const { status, offlineReason } = (JSON.parse(res.body) as { worker: { status: string; offlineReason: string | null } }).worker;
    return { status, offlineReason };
  }

  /** The task page's facts as an operator reads them: state badge, worker, "n of m" attempts. */
  async function taskPage(id: string): Promise<{ state: string; worker: string; attempts: string }> {
    const page = await get(`/tasks/${id}`);
    assert.equal(page.status, 200);
    const fact = (label: string) => new RegExp(`<dt class="col-4">${label}</dt><dd class="col-8">([^<]*)</dd>`).exec(page.body)?.[1] ?? '';
    return { state: /id="task-state">([^<]*)</.exec(page.body)?.[1] ?? '', worker: fact('Worker'), attempts: fact('Attempts') };
  }

  test('SIGKILL during a task: another worker runs it again to completion, and the task page shows two attempts', async () => {
    const doomed = await worker('doomed@faults');
    const id = await enqueueSleep(3);
    await eventually(
      async () => {
        const info = await task(id);
        return info.state === 'active' && info.worker === 'doomed@faults' ? info : undefined;
      },
      10_000,
      'the task to start on doomed@faults',
    );
    // Frozen at once, the worker cannot finish the task while a loaded machine renders the page below.
    doomed.child.kill('SIGSTOP');
    assert.equal((await taskPage(id)).state, 'active');

    doomed.child.kill('SIGKILL');
    assert.equal(await doomed.exited, null, 'killed by the signal');
    assert.notEqual((await task(id)).state, 'completed');

    // Nothing finishes the task while no worker runs: it completes only after rescuer@faults starts, on its second attempt.
    const rescuerStartedAt = Date.now();
    await worker('rescuer@faults');
    const done = await eventually(
      async () => {
        const info = await task(id);
        return info.state === 'completed' ? info : undefined;
      },
      30_000,
      'the task to complete on rescuer@faults',
    );
    assert.equal(done.worker, 'rescuer@faults');
    assert.equal(done.result, 3);
    assert.equal(done.attempts, 2, 'the run cut short by SIGKILL counts as an attempt');
    assert.ok(Date.parse(done.finishedAt ?? '') >= rescuerStartedAt, `finished after rescuer@faults started: ${done.finishedAt}`);
    const page = await taskPage(id);
    assert.deepEqual([page.state, page.worker], ['completed', 'rescuer@faults']);
    assert.match(page.attempts, /^2 of \d+$/);
    // Its heartbeat has expired by now (three missed beats); the dashboard tells a crash from a clean stop.
    await eventually(async () => (await workerStatus('doomed@faults')).offlineReason === 'lost', 5000, 'doomed@faults to be shown as lost');
  });

  test('SIGKILL after a GraceDB write: the run on another worker does not write it again', async () => {
    const withTask = { NODE_OPTIONS: `--import ${WRITE_THEN_WAIT}` };
    const connection = new Redis(redis.url);
    try {
      // The embedded GraceDB the workers write to (the same prefix), and an event in it.
      const store = new EmbeddedGraceDb(connection, bullPrefix(testConfig(redis.url, { GWQUEUE_PREFIX: env.GWQUEUE_PREFIX })));
      const event = await uploadEvent(store, 1_400_000_000);
      const doomed = await worker('writer@faults', withTask);
      const call = await runCli(['call', 'gwqueue.tests.faults.write_then_wait', '--args', JSON.stringify([event.graceid, 2])], {
        ...env,
        ...withTask,
      });
      assert.equal(call.code, 0, call.stderr);
      const id = call.stdout.trim();
      const comments = async () => (await store.getLogs(event.graceid)).map((entry) => entry.comment);
      await eventually(async () => (await comments()).includes('written before the pause'), 10_000, 'the first write');
      // Killed once the write is remembered (a kill between GraceDB's answer and the mark is the documented limit).
      await eventually(async () => (await connection.keys(`*:gracedb:once:${id}:*`)).length === 1, 5000, 'the write to be remembered');
      doomed.child.kill('SIGKILL');
      await doomed.exited;

      await worker('rewriter@faults', withTask);
      const done = await eventually(
        async () => {
          const info = await task(id);
          return info.state === 'completed' ? info : undefined;
        },
        30_000,
        'the task to complete on rewriter@faults',
      );
      assert.equal(done.attempts, 2);
      const written = await comments();
      assert.equal(
        written.filter((comment) => comment === 'written before the pause').length,
        1,
        'the write before the kill is not repeated',
      );
      assert.equal(written.filter((comment) => comment === 'written after the pause').length, 1, 'the write after it is made once');
      const first = (await store.getLogs(event.graceid)).find((entry) => entry.comment === 'written before the pause');
      assert.equal(done.result, first?.N, "the second run was given the first run's log entry");
      assert.ok(
        done.logs.some((line) => /GraceDB writeLog was already done by an earlier run/.test(line)),
        `the task page says so: ${done.logs.join(' | ')}`,
      );
    } finally {
      connection.disconnect();
    }
  });

  test('SIGTERM during a task: the worker finishes it first, then exits 0 and is shown as stopped', async () => {
    const graceful = await worker('graceful@faults');
    // 3 s: the SIGTERM must land while the task runs, even when seeing it active is slow on a loaded machine.
    const id = await enqueueSleep(3);
    await eventually(async () => (await task(id)).state === 'active', 10_000, 'the task to start');
    const signalledAt = Date.now();
    graceful.child.kill('SIGTERM');
    assert.equal(await graceful.exited, 0);
    const exitedAt = Date.now();

    const info = await task(id);
    assert.equal(info.state, 'completed');
    assert.equal(info.worker, 'graceful@faults');
    assert.equal(info.attempts, 1);
    assert.equal(info.result, 3);
    const finishedAt = Date.parse(info.finishedAt ?? '');
    assert.ok(signalledAt < finishedAt && finishedAt <= exitedAt, 'SIGTERM came while it ran; the worker exited once it had finished');
    const page = await taskPage(id);
    assert.deepEqual([page.state, page.worker], ['completed', 'graceful@faults']);
    assert.match(page.attempts, /^1 of \d+$/);

    assert.deepEqual(
      await workerStatus('graceful@faults'),
      { status: 'offline', offlineReason: 'stopped' },
      'a clean stop, not a lost worker',
    );
  });
});
