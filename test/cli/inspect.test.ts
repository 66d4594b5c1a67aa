// `gwqueue inspect`, `purge` and `completion` as child processes against a real Redis and a real worker process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { freePort, type TestRedis } from '../helpers/redis-server.js';
import { runCli, startCli } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { startProcesses, type Processes } from '../helpers/real-processes.js';
import { type TaskClient } from '../../src/queue/client.js';
import '../../src/tasks/core.js';

describe('gwqueue inspect, purge and completion', () => {
  let environment: Processes;
  let redis: TestRedis;
  let env: Record<string, string>;
  let client: TaskClient;
  let worker: Awaited<ReturnType<typeof startCli>> | undefined;

  const call = async (args: string[]) => {
    const run = await runCli(['call', ...args], env);
    assert.equal(run.code, 0, run.stderr);
    return run.stdout.trim();
  };

  before(async () => {
    environment = await startProcesses();
    redis = environment.redis;
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: environment.config.prefix, GWQUEUE_HEARTBEAT_MS: '200', GWQUEUE_ENV: 'test' };
    client = environment.client;
  });
  after(async () => {
    worker?.child.kill('SIGKILL');
    await environment?.stop();
  });

  test('purge without -f and without a terminal refuses and removes nothing; -f removes the waiting tasks and says how many', async () => {
    // No worker yet: the tasks wait.
    const ids = await Promise.all([1, 2, 3].map((n) => call(['gwqueue.tasks.core.add', `--args=[${n}, 0]`])));
    const later = await call(['gwqueue.tasks.core.add', '--args=[9, 9]', '--countdown=3600']);
    const refused = await runCli(['purge'], env);
    assert.equal(refused.code, 64);
    assert.equal(
      refused.stderr,
      'gwqueue: refusing to purge 3 waiting tasks without confirmation: standard input is not a terminal (add -f to purge anyway)\n',
    );
    for (const id of ids) assert.equal(await (await client.findJob(id))?.getState(), 'waiting');
    const purged = await runCli(['purge', '-f', '--json'], env);
    assert.equal(purged.code, 0, purged.stderr);
    const none = { 'em-bright': 0, exttrig: 0, highmem: 0, kafka: 0, multiprocessing: 0, openmp: 0, superevent: 0, voevent: 0 };
    assert.deepEqual(JSON.parse(purged.stdout), { removed: { celery: 3, ...none }, total: 3 });
    for (const id of ids) assert.equal(await client.findJob(id), undefined);
    assert.equal(await (await client.findJob(later))?.getState(), 'delayed', 'a delayed task is not waiting: purge keeps it');
    const empty = await runCli(['purge', '-Q', 'celery'], env);
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout.trim(), 'No waiting tasks in celery: nothing to purge.');
    await call(['gwqueue.tasks.core.ping']);
    const plain = await runCli(['purge', '-f', '-Q', 'celery'], env);
    assert.equal(plain.stdout.trim(), 'Purged 1 waiting task from celery.');
  });

  test('inspect with no worker: "no nodes replied" and exit 69', async () => {
    for (const method of ['ping', 'active', 'stats']) {
      const run = await runCli(['inspect', method, '-t', '0.5'], env);
      assert.equal(run.code, 69, `${method}: ${run.stderr}`);
      assert.match(run.stderr, /no nodes replied within time constraint/);
    }
  });

  test("ping, stats, registered and active_queues, in text and in Celery's JSON shapes", async () => {
    worker = await startCli(['worker', '-n', 'insp@test', '-c', '2', '-Q', 'celery'], env, /consuming/);
    const ping = await runCli(['inspect', 'ping'], env);
    assert.equal(ping.code, 0, ping.stderr);
    assert.equal(ping.stdout, '-> insp@test: OK\n    * pong\n1 node online.\n');
    assert.deepEqual(JSON.parse((await runCli(['inspect', 'ping', '--json'], env)).stdout), { 'insp@test': { ok: 'pong' } });
    const stats = JSON.parse((await runCli(['inspect', 'stats', '--json'], env)).stdout)['insp@test'];
    assert.equal(stats.pid, worker.child.pid);
    assert.equal(stats.pool['max-concurrency'], 2);
    assert.deepEqual(Object.keys(stats.total), ['processed', 'succeeded', 'failed', 'retried']);
    const registered = await runCli(['inspect', 'registered'], env);
    assert.match(registered.stdout, /^-> insp@test: OK\n( {4}\* .*\n)* {4}\* gwqueue\.tasks\.core\.add\n/);
    const queues = await runCli(['inspect', 'active-queues'], env);
    assert.match(queues.stdout, /^-> insp@test: OK\n {4}\* celery\n1 node online\.$/m);
  });

  test('active shows the running task with its worker; scheduled shows a delayed one with its ETA', async () => {
    // Far longer than the test: it must still run while two CLIs start on a loaded machine (the worker is killed after).
    const id = await call(['gwqueue.tasks.core.sleep', '--args=[300]']);
    await eventually(async () => (await (await client.findJob(id))?.getState()) === 'active', 15_000, 'task to start');
    const active = await runCli(['inspect', 'active', '-d', 'insp@test', '--json'], env);
    assert.equal(active.code, 0, active.stderr);
    const [request] = JSON.parse(active.stdout)['insp@test'];
    assert.equal(request.id, id);
    assert.equal(request.name, 'gwqueue.tasks.core.sleep');
    assert.deepEqual(request.args, [300]);
    assert.equal(request.hostname, 'insp@test');
    assert.equal(request.worker_pid, worker!.child.pid);
    assert.equal(request.delivery_info.routing_key, 'celery');
    const text = await runCli(['inspect', 'active'], env);
    assert.match(
      text.stdout,
      new RegExp(`^ {4}\\* ${id} gwqueue\\.tasks\\.core\\.sleep args=\\[300\\] started \\d\\d:\\d\\d:\\d\\d$`, 'm'),
    );
    // The delayed task from the purge test is still there.
    const scheduled = JSON.parse((await runCli(['inspect', 'scheduled', '--json'], env)).stdout)['insp@test'];
    assert.equal(scheduled.length, 1);
    assert.equal(scheduled[0].request.name, 'gwqueue.tasks.core.add');
    // Its --countdown=3600 counts from its submission (an hour: a loaded box never gets here after it is due).
    const delayed = await client.findJob(scheduled[0].request.id);
    assert.equal(Date.parse(scheduled[0].eta), delayed!.timestamp + 3_600_000);
  });

  test('-d with a worker that is not online: named, exit 69; bad options exit 64; Redis down exits 69', async () => {
    const missing = await runCli(['inspect', 'ping', '-d', 'insp@test,ghost@test', '-t', '0.5'], env);
    assert.equal(missing.code, 69);
    assert.match(missing.stdout, /^-> insp@test: OK/);
    assert.match(missing.stderr, /^gwqueue: no reply from ghost@test$/m);
    for (const args of [
      ['inspect', 'ping', '-t', 'x'],
      ['inspect', 'bogus'],
      ['purge', '-Q', 'no such'],
    ])
      assert.equal((await runCli(args, env)).code, 64, args.join(' '));
    const port = await freePort();
    for (const args of [
      ['inspect', 'ping'],
      ['inspect', 'active'],
      ['purge', '-f'],
    ]) {
      const run = await runCli(args, { ...env, REDIS_URL: `redis://127.0.0.1:${port}` });
      assert.equal(run.code, 69, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^gwqueue: cannot connect to Redis at /);
      assert.equal(run.stderr.trim().split('\n').length, 1);
    }
  });

  test('completion: a bash script that completes commands, subcommands, options and task names; a zsh script', async () => {
    const bash = await runCli(['completion', 'bash'], env);
    assert.equal(bash.code, 0, bash.stderr);
    const complete = (...words: string[]) => {
      const script = `${bash.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _gwqueue; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const run = spawnSync('bash', ['--norc', '-c', script], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      return run.stdout.trim().split('\n').filter(Boolean).sort();
    };
    assert.deepEqual(complete('gwqueue', 'ins'), ['inspect']);
    assert.deepEqual(complete('gwqueue', 'inspect', 'act'), ['active', 'active_queues']);
    assert.deepEqual(complete('gwqueue', 'control', 'shutdown', '--'), ['--help', '--json', '--timeout']);
    assert.deepEqual(complete('gwqueue', 'call', 'gwqueue.tasks.core.a'), ['gwqueue.tasks.core.add']);
    assert.deepEqual(complete('gwqueue', 'purge', '-'), ['--force', '--help', '--json', '--queues', '-Q', '-f', '-h']);
    assert.deepEqual(complete('gwqueue', 'completion', ''), ['bash', 'zsh']);
    const zsh = await runCli(['completion', 'zsh'], env);
    assert.equal(zsh.code, 0);
    assert.match(zsh.stdout, /^#compdef gwqueue\n/);
    assert.match(zsh.stdout, /'inspect:inspect workers\\: active, reserved, scheduled, stats, registered, active_queues, ping'/);
    assert.match(zsh.stdout, /_gwqueue_control_shutdown\(\) \{/);
    assert.match(zsh.stdout, /'1:task:\([^)]*gwqueue\.tasks\.core\.add /);
    assert.equal((await runCli(['completion', 'fish'], env)).code, 64);
  });
});
