// Prometheus metrics (prom-client): this process's own (tasks it ran, runtimes, CPU, memory, event loop, GC) and the deployment's, read from Redis at scrape time.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { QUEUE_STATES, readClusterSnapshot, type ClusterSnapshot } from './cluster-snapshot.js';
import { processRole } from '../log/process-role.js';
import { within } from '../redis/within.js';

export const TASK_STATES = ['started', 'succeeded', 'failed', 'retried'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** From 5 ms to 10 min: GraceDB calls take tens of ms to seconds, sky map work up to minutes. */
const RUNTIME_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

const UNLINTABLE_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

interface ProcessMetrics {
  registry: Registry;
  tasks: Counter<'task' | 'queue' | 'state'>;
  runtime: Histogram<'task'>;
}

let processMetrics: ProcessMetrics | undefined;

/** This process's registry, created on first use: default process metrics plus the task counters its workers feed. */
export function getProcessMetrics(): ProcessMetrics {
  if (!processMetrics) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
    // prom-client's nodejs_active_{handles,requests,resources}_total are gauges named like counters, which
    // `promtool check metrics` rejects; the same numbers by type stay as nodejs_active_handles etc.
    for (const name of UNLINTABLE_DEFAULT_METRICS) registry.removeSingleMetric(name);
    const tasks = new Counter({
      name: 'gwqueue_tasks_total',
      help: 'Tasks run by the workers of this process: started (each attempt), succeeded, failed (for good) or retried (failed, will run again)',
      labelNames: ['task', 'queue', 'state'] as const,
      registers: [registry],
    });
    const runtime = new Histogram({
      name: 'gwqueue_task_runtime_seconds',
      help: 'How long each attempt of a task ran in this process, from start to success or failure',
      labelNames: ['task'] as const,
      buckets: RUNTIME_BUCKETS,
      registers: [registry],
    });
    new Gauge({
      name: 'gwqueue_processes',
      help: 'Processes behind this metrics endpoint, by role (a console run with --processes N counts N)',
      labelNames: ['role'] as const,
      registers: [registry],
      collect() {
        this.set({ role: processRole() }, 1);
      },
    });
    processMetrics = { registry, tasks, runtime };
  }
  return processMetrics;
}

/**
 * Every state's counter and the runtime series of each task a worker serves, at 0 before its first run: a rule like
 * `increase(gwqueue_tasks_total{state="failed"}[15m]) > 0` sees a task's first failure only if the series existed before.
 */
export function zeroTaskSeries(tasks: readonly { task: string; queue: string }[]): void {
  const { tasks: counter, runtime } = getProcessMetrics();
  for (const { task, queue } of tasks) {
    for (const state of TASK_STATES) counter.inc({ task, queue, state }, 0);
    runtime.zero({ task });
  }
}

export function countTask(task: string, queue: string, state: TaskState): void {
  getProcessMetrics().tasks.inc({ task, queue, state });
}

export function observeRuntime(task: string, seconds: number): void {
  if (Number.isFinite(seconds) && seconds >= 0) getProcessMetrics().runtime.observe({ task }, seconds);
}

/** A scrape reads Redis once, however many gauges use the answer. */
const SNAPSHOT_REUSE_MS = 250;
/** Well within Prometheus' default scrape timeout (10 s): a worker's connection waits for Redis rather than failing. */
const SNAPSHOT_TIMEOUT_MS = 3000;

/** The deployment's metrics, bound to one Redis connection: every value is read from Redis when Prometheus scrapes. */
export function createClusterRegistry(redis: Redis, config: Config): Registry {
  const registry = new Registry();
  let last: { at: number; snapshot: Promise<ClusterSnapshot | undefined> } | undefined;
  const snapshot = () => {
    const now = Date.now();
    if (!last || now - last.at > SNAPSHOT_REUSE_MS)
      last = { at: now, snapshot: within(readClusterSnapshot(redis, config, now), SNAPSHOT_TIMEOUT_MS) };
    return last.snapshot;
  };
  new Gauge({
    name: 'gwqueue_redis_up',
    help: 'Whether this process could read the queues from Redis for this scrape (1) or not (0)',
    registers: [registry],
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'gwqueue_queue_tasks',
    help: 'Tasks in each queue by state (completed and failed: those still kept in Redis)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of (await snapshot())?.queues ?? []) {
        for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, queue.tasks[state]);
      }
    },
  });
  new Gauge({
    name: 'gwqueue_queue_oldest_waiting_age_seconds',
    help: 'How long the task that has waited longest in each queue has been waiting (0 when none waits)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of (await snapshot())?.queues ?? [])
        this.set({ queue: queue.name }, Math.round(queue.oldestWaitingAgeSeconds * 1000) / 1000);
    },
  });
  new Gauge({
    name: 'gwqueue_workers_online',
    help: 'Live workers consuming each queue (from heartbeats; a worker shutting down is not counted)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of (await snapshot())?.queues ?? []) this.set({ queue: queue.name }, queue.workersOnline);
    },
  });
  new Counter({
    name: 'gwqueue_queue_finished_tasks_total',
    help: "Tasks finished in each queue by all workers since its metrics began (succeeded or failed for good), from BullMQ's counters in Redis",
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of (await snapshot())?.queues ?? []) {
        this.inc({ queue: queue.name, state: 'succeeded' }, queue.succeededTotal);
        this.inc({ queue: queue.name, state: 'failed' }, queue.failedTotal);
      }
    },
  });
  new Counter({
    name: 'gwqueue_alerts_sent_total',
    help: 'Alerts put in the outbox since the start, by alert type (from Redis, whichever process sent them)',
    labelNames: ['type'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const sent = (await snapshot())?.alertsSent;
      for (const [type, count] of Object.entries(sent ?? {})) this.inc({ type }, count);
    },
  });
  new Gauge({
    name: 'gwqueue_schedule_last_run_timestamp_seconds',
    help: 'When each schedule last started its task (Unix time), whichever worker fired it; absent before its first run',
    labelNames: ['schedule'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [schedule, at] of Object.entries((await snapshot())?.scheduleLastRuns ?? {})) this.set({ schedule }, at / 1000);
    },
  });
  new Gauge({
    name: 'gwqueue_redis_memory_used_bytes',
    help: "Redis' used memory (INFO used_memory, what counts against maxmemory)",
    registers: [registry],
    async collect() {
      this.reset();
      const memory = (await snapshot())?.memory;
      if (memory) this.set(memory.usedBytes);
    },
  });
  new Gauge({
    name: 'gwqueue_redis_memory_max_bytes',
    help: "Redis' maxmemory; 0 when it has no limit. Full (with noeviction, as BullMQ needs), Redis refuses every write",
    registers: [registry],
    async collect() {
      this.reset();
      const memory = (await snapshot())?.memory;
      if (memory) this.set(memory.maxBytes);
    },
  });
  return registry;
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * The text Prometheus scrapes: this process's metrics (or, for a console of several processes, all of theirs merged,
 * read by `processes`), then the deployment's when a cluster registry is given.
 */
export async function renderMetrics(cluster?: Registry, processes?: () => Promise<string>): Promise<string> {
  const own = processes ? await processes() : await getProcessMetrics().registry.metrics();
  return cluster ? `${own}\n${await cluster.metrics()}` : own;
}
