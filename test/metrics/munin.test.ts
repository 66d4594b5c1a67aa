// `gwqueue munin` as Munin runs it (the real CLI, a gwqueue_GRAPH symlink, and Debian's munin-node tools over bin/munin/gwqueue_): config, fetch, autoconf, suggest.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { freePort, type TestRedis } from '../helpers/redis-server.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { BIN, runCli } from '../helpers/cli.js';
import { registeredQueues } from '../../src/queue/registry.js';
import { fieldName } from '../../src/metrics/munin.js';
import { add, raiseError } from '../../src/tasks/core.js';
import '../../src/tasks/index.js';

const lines = (text: string) => text.split('\n').filter(Boolean);
/** The folder Munin's plugins are installed from: the plugin script and nothing else. */
const MUNIN_LIBDIR = path.resolve(path.dirname(BIN), 'munin');

describe('gwqueue munin', () => {
  let redis: TestRedis;
  let engine: InProcess;
  let env: Record<string, string>;
  let queues: string[];

  before(async () => {
    engine = await startInProcess({ env: { GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '0' } });
    redis = engine.redis;
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: engine.config.prefix, GWQUEUE_ENV: 'test', GWQUEUE_HEARTBEAT_MS: '200' };
    queues = registeredQueues();
  });
  after(async () => {
    await engine?.stop();
  });

  test('queues config: title, vlabel, category gwqueue, and per queue waiting/running/delayed with the Nagios levels', async () => {
    const run = await runCli(['munin', 'queues', 'config'], { ...env, GWQUEUE_NAGIOS_WAITING: '20,100' });
    assert.equal(run.code, 0, run.stderr);
    const expected = [
      'graph_title gwqueue tasks waiting',
      'graph_vlabel tasks',
      'graph_category gwqueue',
      'graph_args --base 1000 --lower-limit 0',
      "graph_info Tasks in each queue, from Redis: waiting to run (with the Nagios check's levels, GWQUEUE_NAGIOS_WAITING), running, and delayed (retry backoff or countdown).",
      `graph_order ${queues.flatMap((q) => [`${fieldName(q)}_waiting`, `${fieldName(q)}_active`, `${fieldName(q)}_delayed`]).join(' ')}`,
      ...queues.flatMap((q) => [
        `${fieldName(q)}_waiting.label ${q} waiting`,
        `${fieldName(q)}_waiting.type GAUGE`,
        `${fieldName(q)}_waiting.min 0`,
        `${fieldName(q)}_waiting.info Tasks waiting in queue ${q}`,
        `${fieldName(q)}_waiting.draw LINE2`,
        `${fieldName(q)}_waiting.warning 20`,
        `${fieldName(q)}_waiting.critical 100`,
        `${fieldName(q)}_active.label ${q} running`,
        `${fieldName(q)}_active.type GAUGE`,
        `${fieldName(q)}_active.min 0`,
        `${fieldName(q)}_active.info Tasks of queue ${q} running on a worker`,
        `${fieldName(q)}_delayed.label ${q} delayed`,
        `${fieldName(q)}_delayed.type GAUGE`,
        `${fieldName(q)}_delayed.min 0`,
        `${fieldName(q)}_delayed.info Tasks of queue ${q} waiting for a retry or their countdown`,
      ]),
    ];
    assert.deepEqual(lines(run.stdout), expected);
    assert.equal(run.stderr, '', 'nothing on stderr either');
  });

  test('tasks config: DERIVE fields with min 0, per minute; workers config: at least one worker, or critical', async () => {
    const tasks = await runCli(['munin', 'tasks', 'config'], env);
    assert.equal(tasks.code, 0, tasks.stderr);
    const t = lines(tasks.stdout);
    assert.deepEqual(t.slice(0, 3), ['graph_title gwqueue task rate', 'graph_vlabel tasks per ${graph_period}', 'graph_category gwqueue']);
    assert.ok(t.includes('graph_period minute'));
    for (const q of queues) {
      for (const kind of ['succeeded', 'failed']) {
        assert.ok(t.includes(`${fieldName(q)}_${kind}.type DERIVE`), `${fieldName(q)}_${kind} is a DERIVE`);
        assert.ok(t.includes(`${fieldName(q)}_${kind}.min 0`), `${fieldName(q)}_${kind} has min 0 (a reset is not a negative rate)`);
        assert.ok(t.includes(`${fieldName(q)}_${kind}.label ${q} ${kind}`));
      }
    }
    const workers = await runCli(['munin', 'workers', 'config'], { ...env, GWQUEUE_NAGIOS_WORKERS_ONLINE: '2:,1:' });
    const w = lines(workers.stdout);
    assert.deepEqual(w.slice(0, 3), ['graph_title gwqueue workers online', 'graph_vlabel workers', 'graph_category gwqueue']);
    assert.deepEqual(
      w.filter((line) => line.startsWith('total.')),
      [
        'total.label all queues',
        'total.type GAUGE',
        'total.min 0',
        'total.info Live workers',
        'total.draw LINE2',
        'total.warning 2:',
        'total.critical 1:',
      ],
    );
    for (const q of queues) assert.ok(w.includes(`${fieldName('queue', q)}.critical 1:`), `a queue without a worker is critical: ${q}`);
  });

  test('fetch prints field.value lines that follow the queues, the task totals and the workers', async () => {
    // Three tasks wait with no worker running.
    await Promise.all([add.delay(1, 2), add.delay(3, 4), add.delay(5, 6)]);
    const waiting = await runCli(['munin', 'queues'], env);
    assert.equal(waiting.code, 0, waiting.stderr);
    assert.deepEqual(
      lines(waiting.stdout),
      queues.flatMap((q) => [
        `${fieldName(q)}_waiting.value ${q === 'celery' ? 3 : 0}`,
        `${fieldName(q)}_active.value 0`,
        `${fieldName(q)}_delayed.value 0`,
      ]),
    );
    const none = await runCli(['munin', 'workers'], env);
    assert.deepEqual(lines(none.stdout), ['total.value 0', ...queues.map((q) => `${fieldName('queue', q)}.value 0`)]);

    const worker = await engine.startWorker({ name: 'munin@test', queues: ['celery'] });
    const failing = await raiseError.delay('munin');
    await assert.rejects(failing.get({ timeout: 10 }));
    const done = await runCli(['munin', 'tasks'], env);
    assert.deepEqual(
      lines(done.stdout),
      queues.flatMap((q) => [
        `${fieldName(q)}_succeeded.value ${q === 'celery' ? 3 : 0}`,
        `${fieldName(q)}_failed.value ${q === 'celery' ? 1 : 0}`,
      ]),
    );
    const online = await runCli(['munin', 'workers'], env);
    assert.deepEqual(lines(online.stdout), [
      'total.value 1',
      ...queues.map((q) => `${fieldName('queue', q)}.value ${q === 'celery' ? 1 : 0}`),
    ]);
    await worker.stop();
  });

  test('autoconf answers yes, or "no (reason)" when Redis cannot be reached, exiting 0 both times; suggest lists the graphs', async () => {
    const yes = await runCli(['munin', 'autoconf'], env);
    assert.deepEqual([yes.code, yes.stdout], [0, 'yes\n']);
    const port = await freePort();
    const no = await runCli(['munin', 'autoconf'], { ...env, REDIS_URL: `redis://127.0.0.1:${port}` });
    assert.deepEqual([no.code, no.stdout], [0, `no (cannot reach Redis at redis://127.0.0.1:${port})\n`]);
    const suggest = await runCli(['munin', 'suggest'], env);
    assert.deepEqual([suggest.code, suggest.stdout], [0, 'queues\ntasks\nworkers\n']);
    const bad = await runCli(['munin', 'disks'], env);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /unknown graph "disks"/);
  });

  test('installed as a Munin plugin symlink (gwqueue_queues -> bin/gwqueue.js), it runs that graph', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-munin-'));
    try {
      const plugin = path.join(dir, 'gwqueue_workers');
      symlinkSync(BIN, plugin);
      const run = (args: string[]) =>
        new Promise<{ code: number | null; stdout: string }>((resolve) => {
          // As munin-node does: the symlink is executed directly (its shebang finds node).
          const child = spawn(plugin, args, {
            env: { ...process.env, GWQUEUE_LOG_LEVEL: 'silent', PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`, ...env },
          });
          let stdout = '';
          child.stdout.on('data', (chunk) => (stdout += chunk));
          child.on('close', (code) => resolve({ code, stdout }));
        });
      const config = await run(['config']);
      assert.equal(config.code, 0);
      assert.equal(lines(config.stdout)[0], 'graph_title gwqueue workers online');
      const fetch = await run([]);
      assert.deepEqual(lines(fetch.stdout), ['total.value 0', ...queues.map((q) => `${fieldName('queue', q)}.value 0`)]);
      assert.deepEqual(await run(['autoconf']), { code: 0, stdout: 'yes\n' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("Debian's munin-node: munin-node-configure --suggest finds bin/munin/gwqueue_; munin-run runs a graph and the gwqueue multigraph", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-munin-node-'));
    try {
      const [plugins, conf] = [path.join(dir, 'plugins'), path.join(dir, 'plugin-conf.d')];
      mkdirSync(plugins);
      mkdirSync(conf);
      const settings = { ...env, GWQUEUE_LOG_LEVEL: 'silent', PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` };
      writeFileSync(
        path.join(conf, 'gwqueue'),
        [`[gwqueue*]`, `user ${os.userInfo().username}`, ...Object.entries(settings).map(([k, v]) => `env.${k} ${v}`), ''].join('\n'),
      );
      const dirs = ['--servicedir', plugins, '--sconfdir', conf];
      const munin = (command: string, args: string[]) => {
        const run = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
        assert.equal(run.status, 0, `${command} ${args.join(' ')}: ${run.stdout}${run.stderr}`);
        return run.stdout;
      };
      const suggest = munin('munin-node-configure', ['--suggest', '--libdir', MUNIN_LIBDIR, ...dirs]);
      assert.match(suggest, /^gwqueue_ +\| no +\| yes \(\+queues \+tasks \+workers\)/m, suggest);
      const shell = munin('munin-node-configure', ['--shell', '--libdir', MUNIN_LIBDIR, ...dirs]);
      assert.deepEqual(
        lines(shell),
        ['queues', 'tasks', 'workers'].map((g) => `ln -s '${path.join(MUNIN_LIBDIR, 'gwqueue_')}' '${path.join(plugins, `gwqueue_${g}`)}'`),
      );
      for (const name of ['gwqueue_queues', 'gwqueue_tasks', 'gwqueue_workers', 'gwqueue'])
        symlinkSync(path.join(MUNIN_LIBDIR, 'gwqueue_'), path.join(plugins, name));

      assert.equal(lines(munin('munin-run', [...dirs, 'gwqueue_tasks', 'config']))[0], 'graph_title gwqueue task rate');
      assert.deepEqual(lines(munin('munin-run', [...dirs, 'gwqueue_queues', 'autoconf'])), ['yes']);
      assert.deepEqual(lines(munin('munin-run', [...dirs, 'gwqueue_workers'])), [
        'total.value 0',
        ...queues.map((q) => `${fieldName('queue', q)}.value 0`),
      ]);
      // The multigraph plugin: every graph under its own `multigraph` line, for config and for fetch.
      const config = lines(munin('munin-run', [...dirs, 'gwqueue', 'config']));
      assert.deepEqual(
        config.filter((line) => line.startsWith('multigraph ') || line.startsWith('graph_title ')),
        ['queues', 'tasks', 'workers'].flatMap((g, i) => [
          `multigraph gwqueue_${g}`,
          `graph_title ${['gwqueue tasks waiting', 'gwqueue task rate', 'gwqueue workers online'][i]}`,
        ]),
      );
      const fetch = lines(munin('munin-run', [...dirs, 'gwqueue']));
      assert.deepEqual(
        fetch.filter((line) => line.startsWith('multigraph ')),
        ['multigraph gwqueue_queues', 'multigraph gwqueue_tasks', 'multigraph gwqueue_workers'],
      );
      assert.ok(
        fetch.every((line) => /^(multigraph gwqueue_\w+|\w+\.value (\d+|U))$/.test(line)),
        fetch.join('\n'),
      );
      assert.ok(fetch.includes('celery_succeeded.value 3'), "this Redis's values: the fetch test's three additions");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
