// Types and defaults of the health check shared by `gwqueue nagios`, /readyz and their tests.
import type { PerfDatum } from './nagios-range.js';
import type { QueueStats } from '../queue/queue-stats.js';
import type { ComponentHealth } from '../queue/heartbeats.js';
import type { CanaryMeasurement } from './canary.js';
import type { RedisMemory } from '../redis/memory.js';

export type { PerfDatum } from './nagios-range.js';
export type { QueueStats } from '../queue/queue-stats.js';

export type CheckStatusName = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/** Nagios plugin exit codes. */
export const EXIT_CODES = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const satisfies Record<CheckStatusName, number>;

/** Which status wins when several findings disagree. */
export const SEVERITY: Record<CheckStatusName, number> = { OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3 };

/** Metrics with operator-tunable warning/critical ranges (also the option names of `gwqueue nagios`). */
export const METRICS = [
  'waiting',
  'oldest-waiting-age',
  'failure-ratio',
  'failed-alerts',
  'workers-online',
  'canary-age',
  'redis-memory',
] as const;
export type MetricName = (typeof METRICS)[number];

/** Nagios ranges as text (`10`, `10:`, `~:10`, `10:20`, `@10:20`); an empty string means no threshold at that level. */
export interface Threshold {
  warning: string;
  critical: string;
}
export type Thresholds = Record<MetricName, Threshold>;
export type ThresholdOverrides = Partial<Record<MetricName, Partial<Threshold>>>;

export const DEFAULT_TIMEOUT_MS = 10_000;
/** A worker seen within this window that stopped beating without a clean stop is reported as lost. */
export const DEFAULT_LOST_WORKER_WINDOW_MS = 3_600_000;
/** Alerts that failed to reach the outbox are counted over this window. */
export const DEFAULT_ALERT_FAILURE_WINDOW_MS = 3_600_000;

export type CheckName = 'broker' | 'queues' | 'workers' | 'components' | 'schedules' | MetricName | 'timeout' | 'internal';

/** One thing the check looked at, with its verdict. */
export interface Finding {
  status: CheckStatusName;
  check: CheckName;
  /** One line, without the status word. */
  summary: string;
  /** Lines shown under it (e.g. "Missing queues: a, b"). */
  details: string[];
  /** The queue, for per-queue findings. */
  queue?: string;
  /** Queues or workers named by the finding (missing queues, lost workers). */
  names?: string[];
}

/** A worker as heartbeats show it. */
export interface WorkerSighting {
  name: string;
  online: boolean;
  /** Last status it reported ('stopped' = clean shutdown); 'unknown' when its record is gone. */
  status: 'online' | 'stopping' | 'stopped' | 'unknown';
  lastSeen: number;
  hostname: string | null;
  queues: string[];
  /** Listeners and sinks it holds, with their health as of its last heartbeat. */
  components?: ComponentHealth[];
}

/** Everything the check measures; evaluate() turns it into findings. */
export interface Measurements {
  /** Where Redis is (no password), for messages. */
  broker: string;
  /** Known queues (the registry's table and any a task names): each needs a live worker. */
  expectedQueues: string[];
  queues: QueueStats[];
  /** Workers seen within the lost-worker window. */
  workers: WorkerSighting[];
  /** Alerts that failed to reach the outbox/sink within `alertFailureWindowMs`, and since the counter exists. */
  failedAlerts: number;
  failedAlertsTotal: number;
  alertFailureWindowMs: number;
  failureWindowMinutes: number;
  /** How far back `workers` reaches. */
  lostWorkerWindowMs: number;
  /** The end-to-end canary; null when the check is configured without it (GWQUEUE_NAGIOS_CANARY=off). */
  canary?: CanaryMeasurement | null;
  /** Redis' used memory and `maxmemory` (INFO memory); undefined when not measured. */
  memory?: RedisMemory;
  /** Redis refused one of the check's own writes as out of memory: full, whatever the thresholds say. */
  memoryRefused?: boolean;
}

/** What the check was run with and how long each step took: shown with -vv / -vvv. */
export interface CheckDiagnostics {
  broker: string;
  prefix: string;
  expectedQueues: string[];
  thresholds: Thresholds;
  timeoutMs: number;
  lostWorkerWindowMs: number;
  alertFailureWindowMs: number;
  timingsMs: Record<string, number>;
  /** Stack of an unexpected error (UNKNOWN). Not for untrusted eyes. */
  errorStack?: string;
}

/** The check's verdict: JSON-able (for /readyz) and printable as Nagios plugin output. */
export interface CheckResult {
  status: CheckStatusName;
  exitCode: 0 | 1 | 2 | 3;
  /** The first line's text after "STATUS: ". */
  summary: string;
  /** Worst first; OK findings included (shown with -v). */
  findings: Finding[];
  perfdata: PerfDatum[];
  checkedAt: string;
  durationMs: number;
  diagnostics?: CheckDiagnostics;
}
