// The health check behind `gwqueue nagios` and /readyz: gathers measurements from Redis within a timeout, then evaluates them.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { DEFAULT_THRESHOLDS } from '../config/nagios.js';
import { asRedisUnavailable, createRedisConnection, describeRedis, waitUntilReady } from '../redis/connection.js';
import { readRedisMemory } from '../redis/memory.js';
import { RedisUnavailableError } from '../redis/errors.js';
import { bullPrefix } from '../redis/keys.js';
import { seenWorkers } from '../queue/heartbeats.js';
import { registeredQueues } from '../queue/registry.js';
import { FAILURE_WINDOW_MINUTES, readQueueStats } from '../queue/queue-stats.js';
import { readAlertFailures } from './alert-failures.js';
import { CANARY_MIN_LOOKBACK_MS, readCanary } from './canary.js';
import { parseRange } from './nagios-range.js';
import { evaluate, formatDuration, resultOf } from './check-evaluate.js';
import {
  DEFAULT_ALERT_FAILURE_WINDOW_MS,
  DEFAULT_LOST_WORKER_WINDOW_MS,
  DEFAULT_TIMEOUT_MS,
  METRICS,
  type CheckDiagnostics,
  type CheckResult,
  type Finding,
  type Measurements,
  type ThresholdOverrides,
  type Thresholds,
  type WorkerSighting,
} from './check-types.js';

export * from './check-types.js';
export { evaluate } from './check-evaluate.js';

export interface GatherOptions {
  /** Queues that must each have a live worker, and whose backlog is measured. */
  expectedQueues: string[];
  now: number;
  lostWorkerWindowMs?: number;
  alertFailureWindowMs?: number;
  /** Read the end-to-end canary (GraceDB within its own bound); undefined: not checked. */
  canary?: { lookbackMs: number; timeoutMs: number };
}

/** Reads what the check needs in a few pipelined round trips: queue backlogs and metrics, heartbeats, failed alerts. */
export async function gatherMeasurements(redis: Redis, config: Config, options: GatherOptions): Promise<Measurements> {
  const window = options.lostWorkerWindowMs ?? DEFAULT_LOST_WORKER_WINDOW_MS;
  const alertFailureWindowMs = options.alertFailureWindowMs ?? DEFAULT_ALERT_FAILURE_WINDOW_MS;
  const [queues, seen, alertFailures, canary, memory] = await Promise.all([
    readQueueStats(redis, bullPrefix(config), options.expectedQueues, options.now, FAILURE_WINDOW_MINUTES),
    seenWorkers(redis, config, options.now - window),
    readAlertFailures(redis, config, options.now, alertFailureWindowMs),
    options.canary ? readCanary(redis, config, { now: options.now, ...options.canary }) : null,
    readRedisMemory(redis),
  ]);
  const workers = seen.map((w): WorkerSighting => ({
    name: w.name,
    online: w.online,
    status: w.info?.status ?? 'unknown',
    lastSeen: w.lastSeen,
    hostname: w.info?.hostname ?? null,
    queues: w.info?.queues ?? [],
    components: w.info?.components ?? [],
  }));
  return {
    broker: describeRedis(config),
    expectedQueues: options.expectedQueues,
    queues,
    workers,
    failedAlerts: alertFailures.recent,
    failedAlertsTotal: alertFailures.total,
    alertFailureWindowMs,
    failureWindowMinutes: FAILURE_WINDOW_MINUTES,
    lostWorkerWindowMs: window,
    canary,
    memory,
    // The check's one write (the alert-failure sample) refused as out of memory: Redis is full, whatever the numbers say.
    memoryRefused: alertFailures.refused === 'out-of-memory',
  };
}

/** The canary looks back a day at least, and an hour beyond its critical age, so that "how old" is known past it. */
function canaryLookbackMs(thresholds: Thresholds): number {
  let longest = 0;
  for (const text of [thresholds['canary-age'].warning, thresholds['canary-age'].critical]) {
    const end = text.trim() ? parseRange(text).end : 0;
    if (Number.isFinite(end)) longest = Math.max(longest, end * 1000);
  }
  return Math.max(CANARY_MIN_LOOKBACK_MS, longest + 3_600_000);
}

/**
 * Defaults, then the configured thresholds, then the overrides, field by field. `config.nagios.thresholds` is read
 * when the configuration provides it.
 */
export function resolveThresholds(config: Config, overrides: ThresholdOverrides = {}): Thresholds {
  const configured: ThresholdOverrides = config.nagios?.thresholds ?? {};
  const entries = METRICS.map((metric) => [metric, { ...DEFAULT_THRESHOLDS[metric], ...configured[metric], ...overrides[metric] }]);
  return Object.fromEntries(entries) as Thresholds;
}

export interface CheckOptions {
  thresholds?: ThresholdOverrides;
  /** The whole check, connecting included (default 10 s). */
  timeoutMs?: number;
  lostWorkerWindowMs?: number;
  alertFailureWindowMs?: number;
  /** Expected queues; default: the queues of every registered task. */
  expectedQueues?: string[];
  /** An existing connection to reuse (the web console's); otherwise one is opened and closed again. */
  redis?: Redis;
}

const TIMED_OUT = Symbol('timed out');

function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms));
  });
  promise.catch(() => {}); // may reject after the timeout, once the connection is closed
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function singleFinding(finding: Finding, now: number): CheckResult {
  return resultOf([finding], [], now);
}

function brokerOf(config: Config): string {
  try {
    return describeRedis(config);
  } catch {
    return '(unparsable Redis URL)';
  }
}

const messageLines = (error: unknown) =>
  (error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error))
    .split('\n')
    .filter(Boolean);

/**
 * Runs the whole check within the timeout: CRITICAL "No connection to broker" when Redis cannot be reached, UNKNOWN when
 * the check times out after connecting or fails unexpectedly; otherwise the evaluation of what was measured. Never throws.
 */
export async function checkStatus(config: Config, options: CheckOptions = {}): Promise<CheckResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const remaining = () => timeoutMs - (performance.now() - started);
  const timingsMs: Record<string, number> = {};
  const lap = (name: string, since: number) => (timingsMs[name] = Math.round((performance.now() - since) * 10) / 10);
  const diagnostics: CheckDiagnostics = {
    broker: brokerOf(config),
    prefix: bullPrefix(config),
    expectedQueues: [],
    thresholds: DEFAULT_THRESHOLDS,
    timeoutMs,
    lostWorkerWindowMs: options.lostWorkerWindowMs ?? DEFAULT_LOST_WORKER_WINDOW_MS,
    alertFailureWindowMs: options.alertFailureWindowMs ?? DEFAULT_ALERT_FAILURE_WINDOW_MS,
    timingsMs,
  };
  const finish = (result: CheckResult): CheckResult => {
    const durationMs = performance.now() - started;
    timingsMs.total = Math.round(durationMs * 10) / 10;
    result.durationMs = timingsMs.total;
    result.perfdata.push({ label: 'check_time', value: durationMs / 1000, unit: 's', decimals: [0, 3] });
    result.diagnostics = diagnostics;
    return result;
  };
  const unreachable = (error: unknown) => {
    const details = [error instanceof Error ? error.message : String(error)];
    if (remaining() <= 5) details.push(`no answer within ${formatDuration(timeoutMs)}`);
    // Reachable, but full: every write refused (nothing can be submitted, no task can move on). Say so, not "no connection".
    const mapped = asRedisUnavailable(error, config);
    if (mapped instanceof RedisUnavailableError && mapped.fault === 'out-of-memory')
      return finish(
        singleFinding(
          { status: 'CRITICAL', check: 'redis-memory', summary: 'Redis is out of memory: it refuses writes (maxmemory reached)', details },
          Date.now(),
        ),
      );
    return finish(singleFinding({ status: 'CRITICAL', check: 'broker', summary: 'No connection to broker', details }, Date.now()));
  };

  let redis = options.redis;
  const ownConnection = !redis;
  try {
    diagnostics.thresholds = resolveThresholds(config, options.thresholds);
    let phase = performance.now();
    await import('../tasks/index.js'); // fills the task registry: the expected queues
    diagnostics.expectedQueues = options.expectedQueues ?? registeredQueues();
    lap('load', phase);

    phase = performance.now();
    redis ??= createRedisConnection(config, 'producer');
    try {
      await waitUntilReady(redis, config, remaining());
    } catch (error) {
      return unreachable(error);
    }
    lap('connect', phase);

    phase = performance.now();
    const gathered = await withinMs(
      gatherMeasurements(redis, config, {
        expectedQueues: diagnostics.expectedQueues,
        now: Date.now(),
        lostWorkerWindowMs: diagnostics.lostWorkerWindowMs,
        alertFailureWindowMs: diagnostics.alertFailureWindowMs,
        // GraceDB gets its own bound, shorter than the check's, so that a slow one leaves the rest of the verdict.
        canary: config.nagios.canary
          ? { lookbackMs: canaryLookbackMs(diagnostics.thresholds), timeoutMs: Math.max(50, Math.floor(remaining() - 250)) }
          : undefined,
      }),
      remaining(),
    );
    lap('gather', phase);
    if (gathered === TIMED_OUT) {
      const details = [`Redis at ${diagnostics.broker} accepted the connection but did not answer the check's queries in time`];
      return finish(
        singleFinding(
          { status: 'UNKNOWN', check: 'timeout', summary: `Check timed out after ${formatDuration(timeoutMs)}`, details },
          Date.now(),
        ),
      );
    }
    return finish(evaluate(gathered, diagnostics.thresholds, Date.now()));
  } catch (error) {
    // Redis went away in the middle of the check: as unreachable as at the start.
    if (asRedisUnavailable(error, config) instanceof RedisUnavailableError) return unreachable(error);
    diagnostics.errorStack = error instanceof Error ? error.stack : undefined;
    const finding: Finding = {
      status: 'UNKNOWN',
      check: 'internal',
      summary: 'Unexpected error while checking gwqueue',
      details: messageLines(error),
    };
    return finish(singleFinding(finding, Date.now()));
  } finally {
    if (ownConnection) redis?.disconnect();
  }
}

/** For GET /readyz: 200 when OK or WARNING, 503 otherwise; the body is the result without any error stack. */
export function readinessResponse(result: CheckResult): { httpStatus: 200 | 503; body: CheckResult } {
  const httpStatus = result.status === 'OK' || result.status === 'WARNING' ? 200 : 503;
  const body: CheckResult = result.diagnostics ? { ...result, diagnostics: { ...result.diagnostics, errorStack: undefined } } : result;
  return { httpStatus, body };
}
