// `gwqueue control` as child processes against a real Redis and real worker processes: pause/resume, cancel, retry, concurrency, shutdown, audit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { freePort, type TestRedis } from '../helpers/redis-server.js';
import { runCli, startCli } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { startProcesses, type Processes } from '../helpers/real-processes.js';
import { type TaskClient } from '../../src/queue/client.js';
import { liveWorkers } from '../../src/queue/heartbeats.js';
import { listAudit } from '../../src/audit/audit-log.js';
import type { Config } from '../../src/config/index.js';
import '../../src/tasks/core.js';

describe('gwqueue control', () => {
  let environment: Processes;
  let redis: TestRedis;
  let env: Record<string, string>;
  let config: Config;
  let client: TaskClient;
  const workers: Awaited<ReturnType<typeof startCli>>[] = [];

  const worker = async (name: string, extra: string[] = []) => {
    const started = await startCli(['worker', '-n', name, ...extra], env, /consuming/);
    workers.push(started);
    return started;
  };
  const call = async (args: string[]) => {
    const run = await runCli(['call', ...args], env);
    assert.equal(run.code, 0, run.stderr);
    return run.stdout.trim();
  };
  const state = async (id: string) => (await client.findJob(id))?.getState() ?? 'gone';

  before(async () => {
    environment = await startProcesses({ env: { GWQUEUE_HEARTBEAT_MS: '200' } });
    redis = environment.redis;
    config = environment.config;
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: config.prefix, GWQUEUE_HEARTBEAT_MS: '200', GWQUEUE_ENV: 'test' };
    client = environment.client;
  });
  after(async () => {
    workers.forEach((w) => w.child.kill('SIGKILL'));
    await environment?.stop();
  });

  test('pause stops the queue being consumed, resume starts it again; both audited with the OS user', async () => {
    await worker('pauser@test', ['-c', '3', '-Q', 'celery']);
    const pause = await runCli(['control', 'pause', 'celery'], env);
    assert.equal(pause.code, 0, pause.stderr);
    assert.match(pause.stdout, /^Paused queue celery: .* 1 worker consumes it \(pauser@test\)$/m);
    const enqueuedAt = Date.now();
    const id = await call(['gwqueue.tasks.core.add', '--args=[2, 3]']);
    // The worker is alive and beating after the enqueue, and has still processed nothing: the task waits.
    const beat = await eventually(
      async () => {
        const info = (await liveWorkers(client.redis, config)).find((w) => w.name === 'pauser@test')?.info;
        return info && Date.parse(info.lastHeartbeat) > enqueuedAt + 200 ? info : undefined;
      },
      10_000,
      'a heartbeat of pauser@test after the enqueue',
    );
    assert.equal(beat.processed, 0, 'a paused queue is not consumed');
    assert.equal(await state(id), 'waiting', 'a paused queue is not consumed');
    const queues = await runCli(['inspect', 'active_queues', '--json'], env);
    assert.deepEqual(
      JSON.parse(queues.stdout)['pauser@test'].map((q: { name: string; paused: boolean }) => [q.name, q.paused]),
      [['celery', true]],
    );
    const reserved = await runCli(['inspect', 'reserved', '--json'], env);
    assert.deepEqual(
      JSON.parse(reserved.stdout)['pauser@test'].map((r: { id: string }) => r.id),
      [id],
    );
    const resumedAt = Date.now();
    const resume = await runCli(['control', 'resume', 'celery'], env);
    assert.equal(resume.code, 0, resume.stderr);
    assert.match(resume.stdout, /^Resumed queue celery; 1 worker consumes it/m);
    const result = await runCli(['result', id, '--wait', '10'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout), 5);
    const startedAt = (await client.findJob(id))?.processedOn ?? 0;
    assert.ok(startedAt >= resumedAt, `the task started only after the resume (${startedAt - resumedAt} ms after it)`);
    const { entries } = await listAudit(client.redis, config, { limit: 10 });
    // The call in between is audited too (as `call`); the two queue actions are the newest of theirs.
    const actions = entries
      .filter((e) => e.action.startsWith('queue.'))
      .map((e) => [e.action, e.user, e.address, e.fields.queue, e.outcome]);
    const user = os.userInfo().username;
    assert.deepEqual(actions.slice(0, 2), [
      ['queue.resume', user, `cli@${os.hostname()}`, 'celery', 'accepted'],
      ['queue.pause', user, `cli@${os.hostname()}`, 'celery', 'accepted'],
    ]);
  });

  test('cancel removes a task that has not started; a running, a finished or an unknown one is refused', async () => {
    const later = await call(['gwqueue.tasks.core.add', '--args=[1, 1]', '--countdown=60']);
    const cancel = await runCli(['control', 'cancel', later], env);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, new RegExp(`^Cancelled task ${later} \\(gwqueue\\.tasks\\.core\\.add\\), which was delayed$`, 'm'));
    assert.equal(await state(later), 'gone');
    // Long enough that a CLI started on a heavily loaded machine still finds it running; later tests need the worker
    // idle again, so the test waits for its end.
    const running = await call(['gwqueue.tasks.core.sleep', '--args=[15]']);
    await eventually(async () => (await state(running)) === 'active', 15_000, 'task to start');
    const refused = await runCli(['control', 'cancel', running], env);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^gwqueue: Task .* \(gwqueue\.tasks\.core\.sleep\) is running on pauser@test: a running task cannot be cancelled/,
    );
    const finished = await runCli(['result', running, '--wait', '40'], env);
    assert.equal(finished.code, 0, 'the refused task ran to its end');
    const done = await runCli(['control', 'cancel', running], env);
    assert.equal(done.code, 1);
    assert.match(done.stderr, /has already completed; nothing to cancel/);
    const unknown = await runCli(['control', 'cancel', '00000000-0000-4000-8000-000000000000'], env);
    assert.equal(unknown.code, 66);
    const { entries } = await listAudit(client.redis, config, { action: 'task.cancel' });
    assert.deepEqual(
      entries.map((e) => e.outcome),
      ['rejected', 'rejected', 'rejected', 'accepted'],
    );
    assert.equal(entries[3].taskId, later);
  });

  test('retry runs a failed task again with the same arguments as a new task; an unfinished one is refused', async () => {
    const failed = await call(['gwqueue.tasks.core.raise_error', '--args=["kaboom"]']);
    assert.equal((await runCli(['result', failed, '--wait', '10'], env)).code, 1);
    const retry = await runCli(['control', 'retry', failed, '--json'], env);
    assert.equal(retry.code, 0, retry.stderr);
    const answer = JSON.parse(retry.stdout);
    assert.equal(answer.ok, true);
    assert.notEqual(answer.taskId, failed);
    const again = await runCli(['result', answer.taskId, '--wait', '10'], env);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /raise_error failed: kaboom/);
    const waiting = await call(['gwqueue.tasks.core.add', '--args=[1, 1]', '--countdown=60']);
    const refused = await runCli(['control', 'retry', waiting], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^gwqueue: Only a failed task can be retried; task .* is delayed\.$/m);
  });

  test('concurrency changes how many tasks a worker runs at once, and its heartbeat says so', async () => {
    const set = await runCli(['control', 'concurrency', 'pauser@test', '1'], env);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^-> pauser@test: OK\n {4}concurrency set to 1 per queue \(was 3\)$/m);
    await eventually(
      async () => (await liveWorkers(client.redis, config)).find((w) => w.name === 'pauser@test')?.info.concurrency === 1,
      15_000,
      'heartbeat',
    );
    const ids = await Promise.all([1, 2, 3].map(() => call(['gwqueue.tasks.core.sleep', '--args=[0.3]'])));
    await eventually(async () => (await Promise.all(ids.map(state))).every((s) => s === 'completed'), 30_000, 'the three tasks');
    // One at a time: each task started after the one before it finished (the times the worker recorded, not samples).
    const queue = client.queue('celery');
    const runs = (await Promise.all(ids.map((id) => queue.getJob(id))))
      .map((job) => ({ started: job!.processedOn!, finished: job!.finishedOn! }))
      .sort((a, b) => a.started - b.started);
    for (let i = 1; i < runs.length; i++)
      assert.ok(runs[i].started >= runs[i - 1].finished, `task ${i + 1} started before task ${i} finished (the worker started with -c 3)`);
    const bad = await runCli(['control', 'concurrency', 'pauser@test', 'lots'], env);
    assert.equal(bad.code, 64);
  });

  test('a command nobody answers: "no reply" and exit 69 after the timeout', async () => {
    const run = await runCli(['control', 'shutdown', 'ghost@test', '-t', '0.5'], env);
    assert.equal(run.code, 69);
    assert.match(run.stderr, /^gwqueue: no reply from ghost@test within 0\.5 s \(not online; online: pauser@test\)$/m);
    const { entries } = await listAudit(client.redis, config, { action: 'worker.shutdown', limit: 1 });
    assert.equal(entries[0].outcome, 'unavailable');
  });

  test('shutdown: the worker acknowledges, finishes its active task, leaves the online list and exits 0', async () => {
    const target = workers[0];
    const id = await call(['gwqueue.tasks.core.sleep', '--args=[1]']);
    await eventually(async () => (await state(id)) === 'active', 5000, 'task to start');
    const run = await runCli(['control', 'shutdown', 'pauser@test'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^-> pauser@test: OK\n {4}shutting down: finishing active tasks, then exiting$/m);
    assert.equal(await target.exited, 0);
    assert.match(target.output(), /shutting down \(control shutdown\)/);
    assert.equal(await state(id), 'completed');
    assert.ok(!(await liveWorkers(client.redis, config)).some((w) => w.name === 'pauser@test'));
  });

  test('bad arguments exit 64; Redis unreachable exits 69 with one line', async () => {
    for (const args of [
      ['control', 'pause', 'nosuchqueue'],
      ['control', 'shutdown', 'w', '-t', 'soon'],
      ['control', 'frobnicate'],
    ]) {
      const run = await runCli(args, env);
      assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
    }
    const port = await freePort();
    for (const args of [
      ['control', 'pause', 'celery'],
      ['control', 'cancel', 'x'],
      ['control', 'shutdown', 'w'],
    ]) {
      const run = await runCli(args, { ...env, REDIS_URL: `redis://127.0.0.1:${port}` });
      assert.equal(run.code, 69, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    }
  });
});
