// `gwqueue nagios` as Nagios runs it (the compiled CLI, real Redis, real worker processes): output, exit codes, options.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, type TestRedis } from '../helpers/redis-server.js';
import { runCli, startCli } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { startProcesses, type Processes } from '../helpers/real-processes.js';
import { parsePluginOutput } from './plugin-output-parser.js';
import { startHangingServer } from './unresponsive-servers.js';

const USAGE = /^Usage: gwqueue nagios \[-v\] \[-t seconds\]/m;

describe('gwqueue nagios', () => {
  let environment: Processes;
  let redis: TestRedis;
  let env: Record<string, string>;
  const workers: Awaited<ReturnType<typeof startCli>>[] = [];
  const nagios = (...args: string[]) => runCli(['nagios', ...args], env);

  before(async () => {
    environment = await startProcesses();
    redis = environment.redis;
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: environment.config.prefix, GWQUEUE_HEARTBEAT_MS: '200', GWQUEUE_ENV: 'test' };
  });
  after(async () => {
    workers.forEach((worker) => worker.child.kill('SIGKILL'));
    await environment?.stop();
  });

  test('no worker: CRITICAL naming the queues on the next line, exit 2, nothing on stderr', async () => {
    const run = await nagios();
    assert.equal(run.code, 2, run.stdout);
    const output = parsePluginOutput(run.stdout);
    assert.equal(output.status, 'CRITICAL');
    assert.equal(output.text, 'Not all expected queues are active');
    assert.match(output.details[0], /^Missing queues: .*\bcelery\b/);
    assert.equal(output.perfdata.queues_unserved.value, output.details[0].split(', ').length);
    assert.equal(run.stderr, '');
  });

  test('a worker serving every queue: OK, one line, perfdata parsed and checked', async () => {
    workers.push(await startCli(['worker', '-n', 'steady@test'], env, /consuming/));
    const run = await nagios();
    assert.equal(run.code, 0, run.stdout);
    const output = parsePluginOutput(run.stdout);
    assert.match(output.text, /^gwqueue is running normally - 1 worker online, \d+ queues? served, 0 tasks waiting$/);
    assert.deepEqual(output.details, []);
    assert.deepEqual(output.perfdata.waiting_celery, { value: 0, unit: '', warning: '10', critical: '50', min: '0', max: '' });
    assert.deepEqual(output.perfdata.oldest_waiting_age_celery, {
      value: 0,
      unit: 's',
      warning: '30',
      critical: '120',
      min: '0',
      max: '',
    });
    assert.deepEqual(output.perfdata.workers_online, { value: 1, unit: '', warning: '', critical: '', min: '0', max: '' });
    assert.deepEqual(output.perfdata.failure_ratio_15m, { value: 0, unit: '', warning: '0.05', critical: '0.2', min: '0', max: '1' });
    assert.equal(output.perfdata.check_time.unit, 's');
    const verbose = parsePluginOutput((await nagios('-v')).stdout);
    assert.ok(verbose.details.includes('OK: 1 worker online'), verbose.details.join('\n'));
    assert.ok(verbose.details.some((line) => line.startsWith('steady@test: last heartbeat')));
  });

  test('thresholds from the command line: -c list and a per-metric @range', async () => {
    let run = await nagios('-c', 'workers-online=2:');
    assert.equal(run.code, 2);
    assert.match(run.stdout, /^CRITICAL: 1 worker online \(critical: below 2\) \| .*'workers_online'=1;;2:;0 /);
    run = await nagios('--waiting', '@0:0,');
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^WARNING: 0 tasks waiting in queue \S+ \(warning: within 0\.\.0\) \| .*'waiting_celery'=0;@0:0;;0 /);
  });

  test('a worker stopped cleanly is not a crash; a killed one is CRITICAL, named', async () => {
    const polite = await startCli(['worker', '-n', 'polite@test'], env, /consuming/);
    // Seen by the check first (a SIGTERM right after "consuming" can still find the worker without its handler).
    await eventually(async () => (await nagios('-v')).stdout.includes('polite@test: last heartbeat'), 5000, 'the worker to be seen');
    polite.child.kill('SIGTERM');
    assert.equal(await polite.exited, 0);
    assert.equal((await nagios()).code, 0);

    const doomed = await startCli(['worker', '-n', 'doomed@test'], env, /consuming/);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const run = await eventually(
      async () => {
        const attempt = await nagios();
        return attempt.code === 2 ? attempt : undefined;
      },
      5000,
      'the killed worker to be noticed',
    );
    const output = parsePluginOutput(run.stdout);
    assert.equal(output.text, 'Worker doomed@test stopped sending heartbeats');
    assert.match(output.details[0], /^doomed@test: last heartbeat \d+(\.\d)? s ago, status online \(host .*, queues .*celery/);
    assert.equal(output.perfdata.workers_lost.value, 1);
    assert.doesNotMatch(run.stdout, /polite/);
    // Tunable: outside the lost-worker window it is forgotten (once its last heartbeat is more than 1 s old; the
    // default window, minutes long, would keep it CRITICAL until the deadline).
    await eventually(async () => (await nagios('--lost-worker-window', '1')).code === 0, 10_000, 'the lost worker to leave a 1 s window');
  });

  test('bad options: UNKNOWN (3) with the diagnostic and the usage on stdout', async () => {
    const cases: [string[], RegExp][] = [
      [['--bogus'], /^UNKNOWN: unknown option '--bogus'/],
      [['-t', '0'], /^UNKNOWN: option '-t, --timeout <seconds>' argument '0' is invalid/],
      [['--oldest-waiting-age', '30'], /expected "warning,critical"/],
      [['--waiting', '20:10,'], /invalid range "20:10": start is greater than end/],
      [['-w', 'bogus=1'], /^UNKNOWN: unknown metric "bogus"/],
      [['-c', 'waiting=5', '--waiting', '1,2'], /^UNKNOWN: --waiting and -c both set thresholds of waiting/],
      [['surplus'], /^UNKNOWN: too many arguments/],
    ];
    for (const [args, diagnostic] of cases) {
      const run = await nagios(...args);
      assert.equal(run.code, 3, `${args.join(' ')}: ${run.stdout}`);
      assert.match(run.stdout, diagnostic, args.join(' '));
      assert.match(run.stdout, USAGE, args.join(' '));
      assert.equal(run.stderr, '', args.join(' '));
    }
  });

  test('-h and -V print to stdout and exit UNKNOWN (3), as the guidelines say', async () => {
    for (const flag of ['-h', '--help']) {
      const help = await nagios(flag);
      assert.equal(help.code, 3);
      assert.match(help.stdout, /^gwqueue nagios \d+\.\d+\.\d+\n/);
      assert.match(help.stdout, USAGE);
      assert.match(help.stdout, /@10:20 \(inside 10\.\.20\)/);
    }
    for (const flag of ['-V', '--version', '-vV']) {
      const version = await nagios(flag);
      assert.equal(version.code, 3, flag);
      assert.match(version.stdout, /^gwqueue nagios \d+\.\d+\.\d+\n$/, flag);
    }
  });

  test('no Redis: CRITICAL "No connection to broker" (exit 2)', async () => {
    const run = await runCli(['nagios'], { ...env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    assert.equal(run.code, 2);
    assert.match(run.stdout, /^CRITICAL: No connection to broker \| 'check_time'=[0-9.]+s\n.*ECONNREFUSED/);
  });

  test('-t is honoured against a server that accepts and never answers', async () => {
    const server = await startHangingServer({ handshake: false });
    try {
      const started = Date.now();
      // -t counts from the process's start (as NRPE's timeout does): 4 s leaves room for a slow start on a loaded box.
      const run = await runCli(['nagios', '-t', '4'], { ...env, REDIS_URL: server.url }, { timeoutMs: 20_000 });
      const took = Date.now() - started;
      assert.equal(run.code, 2, run.stdout);
      assert.match(run.stdout, /^CRITICAL: No connection to broker \|.*\n.*\nno answer within [\d.]+ s\n$/);
      // It waited for the server (most of the 4 s), and answered before -t ran out (+ 0.5 s to leave).
      assert.ok(took >= 2000 && took <= 4500, `took ${took} ms`);
    } finally {
      await server.close();
    }
  });

  test('an unexpected error (here: a bad setting) is UNKNOWN with the error on the next line', async () => {
    const run = await runCli(['nagios'], { ...env, GWQUEUE_PREFIX: 'not a prefix!' });
    assert.equal(run.code, 3);
    assert.match(run.stdout, /^UNKNOWN: Configuration error\n.*GWQUEUE_PREFIX/);
  });
});
