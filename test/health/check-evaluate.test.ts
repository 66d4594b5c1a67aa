// The pure half of the check: evaluate() on hand-made measurements, BullMQ's minute counters, and the plugin output layout.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_THRESHOLDS } from '../../src/config/nagios.js';
import { evaluate, type Measurements, type Thresholds, type WorkerSighting } from '../../src/health/check-status.js';
import { countInWindow } from '../../src/queue/queue-stats.js';
import { formatPluginOutput } from '../../src/health/plugin-output.js';

const NOW = Date.UTC(2025, 0, 1, 12, 30, 30);

function worker(name: string, queues: string[], extra: Partial<WorkerSighting> = {}): WorkerSighting {
  return { name, online: true, status: 'online', lastSeen: NOW - 1000, hostname: 'emfollow', queues, ...extra };
}

function healthy(): Measurements {
  return {
    broker: 'redis://127.0.0.1:6379',
    expectedQueues: ['default', 'superevent'],
    queues: [
      { name: 'default', waiting: 3, oldestWaitingSince: NOW - 1200, completed: 40, failed: 0 },
      { name: 'superevent', waiting: 0, oldestWaitingSince: null, completed: 10, failed: 0 },
    ],
    workers: [worker('w1@emfollow', ['default']), worker('w2@emfollow', ['superevent'])],
    failedAlerts: 0,
    failedAlertsTotal: 7,
    alertFailureWindowMs: 3_600_000,
    failureWindowMinutes: 15,
    lostWorkerWindowMs: 3_600_000,
  };
}

const withThresholds = (overrides: Partial<Thresholds>): Thresholds => ({ ...DEFAULT_THRESHOLDS, ...overrides });

describe('evaluate', () => {
  test('healthy: OK, a short summary, perfdata for every measured value', () => {
    const result = evaluate(healthy(), DEFAULT_THRESHOLDS, NOW);
    assert.equal(result.status, 'OK');
    assert.equal(result.exitCode, 0);
    assert.equal(result.summary, 'gwqueue is running normally - 2 workers online, 2 queues served, 3 tasks waiting');
    const perf = Object.fromEntries(result.perfdata.map((d) => [d.label, d]));
    assert.deepEqual(perf.waiting_default, { label: 'waiting_default', value: 3, unit: '', min: 0, warning: '10', critical: '50' });
    assert.equal(perf.oldest_waiting_age_default.value, 1.2);
    assert.equal(perf.oldest_waiting_age_superevent.value, 0);
    assert.equal(perf.workers_online.value, 2);
    assert.equal(perf.failure_ratio_15m.value, 0);
    assert.equal(perf.completed_15m.value, 50);
    assert.deepEqual(perf.failed_alerts_total, { label: 'failed_alerts_total', value: 7, unit: 'c', min: 0 });
    assert.ok(result.findings.every((f) => f.status === 'OK'));
    assert.equal(formatPluginOutput(result).split('\n').filter(Boolean).length, 1, 'one line when all is well');
  });

  test('several problems: the worst wins, the most important names it, the others follow', () => {
    const m = healthy();
    m.workers = [worker('w1@emfollow', ['default']), worker('gone@emfollow', ['superevent'], { online: false, lastSeen: NOW - 42_000 })];
    m.queues[0].waiting = 20; // warning
    m.failedAlerts = 5; // critical
    const result = evaluate(m, DEFAULT_THRESHOLDS, NOW);
    assert.equal(result.status, 'CRITICAL');
    assert.equal(result.exitCode, 2);
    assert.equal(result.summary, 'Not all expected queues are active');
    assert.deepEqual(
      result.findings.filter((f) => f.status !== 'OK').map((f) => `${f.status} ${f.check}`),
      ['CRITICAL queues', 'CRITICAL workers', 'CRITICAL failed-alerts', 'WARNING waiting'],
    );
    const lines = formatPluginOutput(result).trimEnd().split('\n');
    assert.match(lines[0], /^CRITICAL: Not all expected queues are active \| 'waiting_default'=20;10;50;0 /);
    assert.equal(lines[1], 'Missing queues: superevent');
    assert.equal(lines[2], 'CRITICAL: Worker gone@emfollow stopped sending heartbeats');
    assert.equal(lines[3], 'gone@emfollow: last heartbeat 42 s ago, status online (host emfollow, queues superevent)');
    assert.equal(lines[4], 'CRITICAL: 5 alerts failed to reach the outbox in the last 60 min (critical: above 2)');
    assert.equal(lines[5], 'WARNING: 20 tasks waiting in queue default (warning: above 10)');
    assert.equal(lines.length, 6);
  });

  test('a clean stop is not a crash; a stopping worker no longer serves its queues', () => {
    const m = healthy();
    m.workers.push(worker('old@emfollow', ['default'], { online: false, status: 'stopped', lastSeen: NOW - 60_000 }));
    assert.equal(evaluate(m, DEFAULT_THRESHOLDS, NOW).status, 'OK');
    m.workers[1].status = 'stopping';
    const result = evaluate(m, DEFAULT_THRESHOLDS, NOW);
    assert.equal(result.status, 'CRITICAL');
    assert.deepEqual(result.findings[0].details, ['Missing queues: superevent', 'w2@emfollow is stopping (it no longer takes tasks)']);
  });

  test('two lost workers are both named, most recent first', () => {
    const m = healthy();
    m.workers.push(
      worker('a@h', ['default'], { online: false, lastSeen: NOW - 600_000 }),
      worker('b@h', ['default'], { online: false, status: 'unknown', hostname: null, queues: [], lastSeen: NOW - 5000 }),
    );
    const result = evaluate(m, DEFAULT_THRESHOLDS, NOW);
    assert.equal(result.summary, '2 workers stopped sending heartbeats: b@h, a@h');
    assert.deepEqual(result.findings[0].names, ['b@h', 'a@h']);
  });

  test('thresholds: warning and critical by range, including @ (alert inside)', () => {
    const m = healthy();
    m.queues[0].oldestWaitingSince = NOW - 45_000;
    let result = evaluate(m, DEFAULT_THRESHOLDS, NOW);
    assert.equal(result.status, 'WARNING');
    assert.equal(result.exitCode, 1);
    assert.equal(result.summary, 'oldest waiting task in queue default: waited 45 s (warning: above 30)');
    m.queues[0].oldestWaitingSince = NOW - 121_000;
    assert.equal(evaluate(m, DEFAULT_THRESHOLDS, NOW).status, 'CRITICAL');

    m.queues[0].oldestWaitingSince = NOW;
    m.queues[0].waiting = 15;
    const inside = withThresholds({ waiting: { warning: '@10:20', critical: '' } });
    result = evaluate(m, inside, NOW);
    assert.equal(result.status, 'WARNING');
    assert.equal(result.summary, '15 tasks waiting in queue default (warning: within 10..20)');
    m.queues[0].waiting = 25;
    assert.equal(evaluate(m, inside, NOW).status, 'OK');
  });

  test('failure ratio over the window, and the workers-online range', () => {
    const m = healthy();
    m.queues[0].failed = 10; // 10 of 60
    const result = evaluate(m, DEFAULT_THRESHOLDS, NOW);
    assert.equal(result.status, 'WARNING');
    assert.equal(result.summary, 'failure ratio 0.167 over the last 15 min (10 of 60 finished tasks failed) (warning: above 0.05)');
    assert.equal(result.perfdata.find((d) => d.label === 'failure_ratio_15m')?.value, 10 / 60);
    const atLeastThree = withThresholds({ 'workers-online': { warning: '', critical: '3:' } });
    assert.equal(evaluate(healthy(), atLeastThree, NOW).summary, '2 workers online (critical: below 3)');
  });

  test("Redis' memory: warns above 80 % of maxmemory, critical above 95 %, out of memory when full or a write was refused", () => {
    const m = healthy();
    const MiB = 1024 * 1024;
    m.memory = { usedBytes: 50 * MiB, maxBytes: 100 * MiB, policy: 'noeviction' };
    let result = evaluate(m, DEFAULT_THRESHOLDS, NOW);
    assert.equal(result.status, 'OK');
    assert.deepEqual(
      result.perfdata.find((d) => d.label === 'redis_memory'),
      { label: 'redis_memory', value: 50, unit: '%', min: 0, max: 100, warning: '80', critical: '95', decimals: [0, 1] },
    );
    m.memory.usedBytes = 85 * MiB;
    result = evaluate(m, DEFAULT_THRESHOLDS, NOW);
    assert.equal(result.status, 'WARNING');
    assert.equal(result.summary, 'Redis uses 85 % of its maxmemory (85 MiB of 100 MiB) (warning: above 80)');
    m.memory.usedBytes = 96 * MiB;
    assert.equal(evaluate(m, DEFAULT_THRESHOLDS, NOW).status, 'CRITICAL');
    // Full: CRITICAL whatever the thresholds, and it names the problem before a missing queue would.
    m.memory.usedBytes = 101 * MiB;
    m.expectedQueues.push('unserved');
    const lax = withThresholds({ 'redis-memory': { warning: '', critical: '' } });
    result = evaluate(m, lax, NOW);
    assert.equal(result.status, 'CRITICAL');
    assert.match(result.summary, /^Redis is out of memory: it refuses writes \(uses 101 MiB of 100 MiB, 101 % of its maxmemory\)$/);
    m.memory.usedBytes = 10 * MiB;
    m.memoryRefused = true;
    assert.match(evaluate(m, lax, NOW).summary, /^Redis is out of memory/);
    // No maxmemory: nothing to judge against, the value is unknown ("U"); another policy than noeviction is named.
    const unlimited = { ...healthy(), memory: { usedBytes: 10 * MiB, maxBytes: 0, policy: 'allkeys-lru' } };
    result = evaluate(unlimited, DEFAULT_THRESHOLDS, NOW);
    const finding = result.findings.find((f) => f.check === 'redis-memory')!;
    assert.equal(finding.status, 'OK');
    assert.match(finding.details.join(), /BullMQ needs noeviction/);
    assert.equal(result.perfdata.find((d) => d.label === 'redis_memory')?.value, null);
  });

  test('a bad threshold throws (checkStatus turns it into UNKNOWN)', () => {
    assert.throws(() => evaluate(healthy(), withThresholds({ waiting: { warning: 'lots', critical: '' } }), NOW), /invalid range "lots"/);
  });
});

describe('plugin output', () => {
  test('-v adds what is fine, -vv the configuration, -vvv timings; "|" never leaks into the text', () => {
    const m = healthy();
    m.expectedQueues.push('odd|queue');
    const result = evaluate(m, DEFAULT_THRESHOLDS, NOW);
    result.diagnostics = {
      broker: m.broker,
      prefix: '{gwqueue}',
      expectedQueues: m.expectedQueues,
      thresholds: DEFAULT_THRESHOLDS,
      timeoutMs: 10_000,
      lostWorkerWindowMs: 3_600_000,
      alertFailureWindowMs: 3_600_000,
      timingsMs: { connect: 1, gather: 2 },
    };
    const quiet = formatPluginOutput(result, 0).trimEnd().split('\n');
    assert.equal(quiet[1], 'Missing queues: odd/queue');
    assert.equal(quiet[0].split('|').length, 2);
    const v1 = formatPluginOutput(result, 1);
    assert.match(v1, /^OK: 2 workers online\nw1@emfollow: last heartbeat 1 s ago, status online \(host emfollow, queues default\)$/m);
    assert.match(v1, /^OK: 3 tasks waiting in queue default$/m);
    assert.doesNotMatch(v1, /thresholds/);
    const v2 = formatPluginOutput(result, 2);
    assert.match(
      v2,
      /^thresholds \(warning\/critical\): waiting 10\/50, oldest-waiting-age 30\/120, failure-ratio 0\.05\/0\.2, failed-alerts 0\/2, workers-online -\/-, canary-age 4200\/21600, redis-memory 80\/95$/m,
    );
    assert.doesNotMatch(v2, /timings/);
    assert.match(formatPluginOutput(result, 3), /^timings \(ms\): connect 1, gather 2$/m);
  });
});

describe('BullMQ minute counters', () => {
  const minute = (n: number) => Math.floor(NOW / 60_000) * 60_000 - n * 60_000 + 5000;
  test('counts the open minute and the pushed minutes inside the window only', () => {
    // Last rollover 2 minutes ago with 4 tasks since; the list holds minutes 3, 4, ... ago.
    const data = Array.from({ length: 20 }, () => 1);
    assert.equal(countInWindow({ count: 100, prevTS: minute(2), prevCount: 96, data }, NOW, 15), 4 + 12);
    assert.equal(countInWindow({ count: 100, prevTS: minute(0), prevCount: 90, data }, NOW, 15), 10 + 14);
  });
  test('nothing finished within the window, or never', () => {
    assert.equal(countInWindow({ count: 9, prevTS: minute(15), prevCount: 1, data: [5, 5] }, NOW, 15), 0);
    assert.equal(countInWindow({ count: 0, prevTS: 0, prevCount: 0, data: [] }, NOW, 15), 0);
    // The very first task: BullMQ sets prevTS and counts it, with no data points yet.
    assert.equal(countInWindow({ count: 1, prevTS: minute(0), prevCount: 0, data: [] }, NOW, 15), 1);
  });
});
