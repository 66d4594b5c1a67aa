// checkStatus() against a real Redis with real in-process workers: every status from the situation that causes it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { freePort } from '../helpers/redis-server.js';
import { startInProcess, testConfig, type InProcess } from '../helpers/in-process.js';
import { eventually, sleep } from '../helpers/eventually.js';
import { defineTask, registeredQueues } from '../../src/queue/registry.js';
import { raiseError } from '../../src/tasks/core.js';
import { checkStatus, readinessResponse, type CheckResult, type ThresholdOverrides } from '../../src/health/check-status.js';
import { recordAlertFailure } from '../../src/alerts/outbox.js';
import { formatPluginOutput } from '../../src/health/plugin-output.js';
import { parsePluginOutput } from './plugin-output-parser.js';
import { startHangingServer } from './unresponsive-servers.js';
import { outboxKeys } from '../../src/redis/keys.js';

// Two more queues that registered tasks use, so that "some queues served" is a real situation.
let release: () => void = () => {};
let gate = Promise.resolve();
const block = defineTask({
  name: 'gwqueue.tests.nagios.block',
  queue: 'nagios-a',
  description: 'Holds its worker until the test releases it.',
  params: {},
  async run() {
    await gate;
    return 'released';
  },
});
const noop = defineTask({
  name: 'gwqueue.tests.nagios.noop',
  queue: 'nagios-a',
  description: 'Does nothing.',
  params: { n: z.number() },
  async run() {
    return null;
  },
});
defineTask({
  name: 'gwqueue.tests.nagios.other',
  queue: 'nagios-b',
  description: 'Never run.',
  params: {},
  async run() {
    return null;
  },
});

const problems = (result: CheckResult) => result.findings.filter((f) => f.status !== 'OK').map((f) => `${f.status}: ${f.summary}`);

describe('checkStatus against real Redis and workers', () => {
  let engine: InProcess;
  const check = (thresholds?: ThresholdOverrides) => checkStatus(engine.config, { timeoutMs: 5000, thresholds });

  before(async () => {
    engine = await startInProcess({ env: { GWQUEUE_HEARTBEAT_MS: '200', GWQUEUE_SHUTDOWN_TIMEOUT_MS: '2000' } });
  });
  after(async () => {
    release();
    await engine?.stop();
  });

  test('no Redis: CRITICAL "No connection to broker", at once', async () => {
    const config = testConfig(`redis://127.0.0.1:${await freePort()}`);
    const result = await checkStatus(config, { timeoutMs: 5000 });
    assert.equal(result.status, 'CRITICAL');
    assert.equal(result.exitCode, 2);
    assert.equal(result.summary, 'No connection to broker');
    assert.match(result.findings[0].details[0], /ECONNREFUSED/);
    assert.ok(result.durationMs < 4000, `gave up at once instead of waiting for the timeout: took ${result.durationMs} ms`);
    assert.deepEqual(
      result.perfdata.map((d) => d.label),
      ['check_time'],
    );
  });

  test('Redis but no worker: CRITICAL naming every expected queue', async () => {
    const result = await check();
    assert.equal(result.status, 'CRITICAL');
    assert.equal(result.summary, 'Not all expected queues are active');
    assert.deepEqual(
      registeredQueues().filter((q) => q.startsWith('nagios-')),
      ['nagios-a', 'nagios-b'],
    );
    assert.deepEqual(result.findings[0].names, registeredQueues());
    assert.equal(result.findings[0].details[0], `Missing queues: ${registeredQueues().join(', ')}`);
  });

  test('a worker for some queues: CRITICAL naming the rest; its clean stop is no crash', async () => {
    const partial = await engine.startWorker({ name: 'partial@test', queues: ['celery', 'nagios-a'] });
    let result = await check();
    assert.deepEqual(problems(result), ['CRITICAL: Not all expected queues are active']);
    // Every GWCelery queue is expected, whether or not a task uses it yet.
    const rest = registeredQueues().filter((q) => q !== 'celery' && q !== 'nagios-a');
    assert.ok(rest.includes('superevent') && rest.includes('voevent') && rest.includes('nagios-b'), rest.join(', '));
    assert.equal(result.findings[0].details[0], `Missing queues: ${rest.join(', ')}`);
    assert.equal(parsePluginOutput(formatPluginOutput(result)).details[0], `Missing queues: ${rest.join(', ')}`);
    await partial.stop();
    result = await check();
    assert.deepEqual(result.findings[0].names, registeredQueues(), 'all missing again');
    assert.ok(!result.findings.some((f) => f.check === 'workers' && f.status !== 'OK'), 'a clean stop is not reported as a lost worker');
  });

  test('every queue served: OK with perfdata for every measured value', async () => {
    await engine.startWorker({ name: 'all@test', concurrency: 1 });
    const result = await checkStatus(engine.config, { timeoutMs: 5000, redis: engine.client.redis });
    assert.equal(engine.client.redis.status, 'ready', 'a connection passed in is left open');
    assert.equal(readinessResponse(result).httpStatus, 200);
    assert.equal(result.status, 'OK', problems(result).join('\n'));
    assert.equal(result.exitCode, 0);
    const output = parsePluginOutput(formatPluginOutput(result));
    assert.equal(output.status, 'OK');
    assert.equal(output.text, `gwqueue is running normally - 1 worker online, ${registeredQueues().length} queues served, 0 tasks waiting`);
    assert.deepEqual(output.details, []);
    for (const queue of registeredQueues()) {
      assert.deepEqual(output.perfdata[`waiting_${queue}`], { value: 0, unit: '', warning: '10', critical: '50', min: '0', max: '' });
      assert.deepEqual(output.perfdata[`oldest_waiting_age_${queue}`], {
        value: 0,
        unit: 's',
        warning: '30',
        critical: '120',
        min: '0',
        max: '',
      });
    }
    assert.deepEqual(output.perfdata.workers_online, { value: 1, unit: '', warning: '', critical: '', min: '0', max: '' });
    assert.deepEqual(output.perfdata.failure_ratio_15m, { value: 0, unit: '', warning: '0.05', critical: '0.2', min: '0', max: '1' });
    assert.deepEqual(output.perfdata.failed_alerts, { value: 0, unit: '', warning: '0', critical: '2', min: '0', max: '' });
    const time = output.perfdata.check_time;
    assert.equal(time.unit, 's');
    assert.ok(typeof time.value === 'number' && time.value > 0, `check_time ${time.value}`);
  });

  test('backlog and waiting age cross warning then critical; @10:20 alerts inside', async () => {
    gate = new Promise<void>((resolve) => (release = resolve));
    await block.delay();
    await eventually(async () => (await engine.client.queue('nagios-a').getActiveCount()) === 1, 5000, 'block to run');
    for (let n = 0; n < 12; n++) await noop.delay(n);
    const firstBatchAt = Date.now();
    let result = await check();
    assert.deepEqual(problems(result), ['WARNING: 12 tasks waiting in queue nagios-a (warning: above 10)']);
    assert.equal(result.exitCode, 1);
    assert.equal(readinessResponse(result).httpStatus, 200, 'a WARNING is still ready');
    result = await check({ waiting: { warning: '@10:20', critical: '' } });
    assert.deepEqual(problems(result), ['WARNING: 12 tasks waiting in queue nagios-a (warning: within 10..20)']);

    // A time difference, not a race: the oldest task must be clearly older than the newest for the check of the age
    // below to tell them apart. Under load this pause only grows, and every assertion on the age is a lower bound.
    await sleep(500);
    await Promise.all(Array.from({ length: 40 }, (_, n) => noop.delay(n)));
    result = await check();
    assert.equal(result.status, 'CRITICAL');
    assert.equal(result.summary, '52 tasks waiting in queue nagios-a (critical: above 50)');
    assert.equal((await check({ waiting: { warning: '@10:20', critical: '' } })).status, 'OK', '52 is outside 10..20');

    const age = { 'oldest-waiting-age': { warning: '1', critical: '2' }, waiting: { warning: '', critical: '' } };
    const ageOf = async () => (await check(age)).findings.find((f) => f.check === 'oldest-waiting-age' && f.queue === 'nagios-a');
    assert.equal(
      (await eventually(async () => ((await ageOf())?.status === 'WARNING' ? ageOf() : undefined), 5000, 'age warning'))?.status,
      'WARNING',
    );
    const critical = await eventually(async () => ((await ageOf())?.status === 'CRITICAL' ? ageOf() : undefined), 5000, 'age critical');
    assert.match(critical.summary, /^oldest waiting task in queue nagios-a: waited \d+(\.\d)? s \(critical: above 2\)$/);
    const checkedFrom = Date.now();
    const measured = (await check(age)).perfdata.find((d) => d.label === 'oldest_waiting_age_nagios-a')?.value ?? 0;
    assert.ok(measured >= (checkedFrom - firstBatchAt) / 1000, `the age is the oldest task's (${measured} s), not the newest's`);

    release();
    // Drained means every task finished (the next test counts them), not merely fewer waiting than the threshold.
    await eventually(
      async () => {
        const counts = await engine.client.queue('nagios-a').getJobCounts('wait', 'active', 'delayed', 'prioritized');
        return Object.values(counts).every((n) => n === 0);
      },
      30_000,
      'backlog to drain',
    );
    assert.equal((await check()).status, 'OK');
  });

  test('failure ratio over 15 minutes and failed alerts', async () => {
    const failed = await raiseError.delay('on purpose');
    await eventually(async () => (await failed.info()).state === 'failed', 5000, 'task to fail');
    let result = await check({ 'failure-ratio': { warning: '0.01', critical: '0.5' } });
    assert.deepEqual(problems(result), [
      'WARNING: failure ratio 0.019 over the last 15 min (1 of 54 finished tasks failed) (warning: above 0.01)',
    ]);
    assert.equal(result.perfdata.find((d) => d.label === 'failed_15m')?.value, 1);

    // The outbox's counter only grows: what counts is its growth within the window.
    const { redis: connection, config } = engine.client;
    await recordAlertFailure(connection, config);
    assert.deepEqual(problems(await check()), ['WARNING: 1 alert failed to reach the outbox in the last 60 min (warning: above 0)']);
    await recordAlertFailure(connection, config);
    await recordAlertFailure(connection, config);
    result = await check();
    assert.deepEqual(problems(result), ['CRITICAL: 3 alerts failed to reach the outbox in the last 60 min (critical: above 2)']);
    // A time difference, not a race: the last failure must lie outside a 300 ms window. Under load the pause only
    // grows, and a failure older than the window can never count as new.
    await sleep(400);
    result = await checkStatus(config, { timeoutMs: 5000, alertFailureWindowMs: 300 });
    assert.equal(result.status, 'OK', 'no new failure within the window');
    assert.deepEqual(
      result.perfdata.find((d) => d.label === 'failed_alerts_total'),
      { label: 'failed_alerts_total', value: 3, unit: 'c', min: 0 },
    );
  });

  test('an unexpected error (a damaged key): UNKNOWN with the error on the next line', async () => {
    await engine.client.redis.del(outboxKeys.failures(engine.config));
    await engine.client.redis.hset(outboxKeys.failures(engine.config), 'not', 'a counter');
    try {
      const result = await check();
      assert.equal(result.status, 'UNKNOWN');
      assert.equal(result.exitCode, 3);
      const lines = formatPluginOutput(result).split('\n');
      assert.match(lines[0], /^UNKNOWN: Unexpected error while checking gwqueue \| 'check_time'=[0-9.]+s$/);
      assert.match(lines[1], /WRONGTYPE/);
      assert.match(formatPluginOutput(result, 3), /^ReplyError: WRONGTYPE.*\n\s+at /m, '-vvv shows the stack');
      const ready = readinessResponse(result);
      assert.equal(ready.httpStatus, 503);
      assert.equal(JSON.parse(JSON.stringify(ready.body)).diagnostics.errorStack, undefined, 'no stack over HTTP');
    } finally {
      await engine.client.redis.del(outboxKeys.failures(engine.config));
    }
  });

  test('timeout: a server that never answers is an unreachable broker (CRITICAL), in time', async () => {
    const server = await startHangingServer({ handshake: false });
    try {
      const result = await checkStatus(testConfig(server.url), { timeoutMs: 700 });
      assert.equal(result.status, 'CRITICAL');
      assert.equal(result.summary, 'No connection to broker');
      assert.match(result.findings[0].details.join('\n'), /no answer within 0\.7 s/);
      assert.ok(result.durationMs >= 650 && result.durationMs < 3000, `took ${result.durationMs} ms`);
      assert.ok(server.received.length > 0, 'the client did reach the server');
    } finally {
      await server.close();
    }
  });

  test('timeout after connecting: a broker that stops answering queries gives UNKNOWN, in time', async () => {
    const server = await startHangingServer({ handshake: true });
    try {
      const result = await checkStatus(testConfig(server.url), { timeoutMs: 700 });
      assert.equal(result.status, 'UNKNOWN');
      assert.equal(result.summary, 'Check timed out after 0.7 s');
      assert.ok(result.durationMs >= 650 && result.durationMs < 3000, `took ${result.durationMs} ms`);
      assert.ok(server.received.length > 3, 'queries were sent after the handshake');
    } finally {
      await server.close();
    }
  });
});
