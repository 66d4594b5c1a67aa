// A worker's instrumentation: task counters and runtimes for /metrics, Sentry for final failures (breadcrumbs for retries), host samples, and the --metrics-port server.
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { JobData } from '../queue/canvas.js';
import { startHostSampler } from '../host/host-sampler.js';
import { countTask, observeRuntime, zeroTaskSeries } from '../metrics/metrics.js';
import { allTasks } from '../queue/registry.js';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-http.js';
import { captureTaskFailure, endSentrySession, flushSentry, initSentry, recordTaskRetry, type TaskFailure } from '../sentry/sentry.js';
import { logger } from '../log/logger.js';

export interface WorkerObservabilityOptions {
  name: string;
  /** The worker's Redis connection (host samples). */
  connection: Redis;
  /** Serve GET /metrics on this port (0: any free port); default GWQUEUE_WORKER_METRICS_PORT, else not served. */
  metricsPort?: number;
}

export interface WorkerObservability {
  /** Where /metrics is served, when it is. */
  metricsUrl: string | undefined;
  /** Counts, times and reports the tasks of these BullMQ workers (before they take their first job). */
  watch(workers: Worker[]): void;
  stop(): Promise<void>;
}

/** A later chain step fails only because an earlier one did, which was reported already. */
const CONSEQUENCE = /^child .* failed/;

function describeFailure(job: Job<JobData>, worker: string): TaskFailure {
  return {
    task: job.name,
    id: String(job.id),
    queue: job.queueName,
    attempt: job.attemptsMade,
    maxAttempts: job.data?.meta?.attempts ?? job.opts.attempts ?? 1,
    worker,
    args: job.data?.args ?? [],
    kwargs: job.data?.kwargs ?? {},
  };
}

/**
 * Starts what can fail (binding the metrics port) before the worker has any consumer: a worker that cannot serve its
 * metrics must not run tasks unseen. Throws ListenError (one line, exit 71) when the port cannot be had.
 */
export async function startWorkerObservability(config: Config, options: WorkerObservabilityOptions): Promise<WorkerObservability> {
  const port = options.metricsPort ?? config.observability.workerMetrics.port;
  let server: MetricsServer | undefined;
  if (port !== undefined) {
    server = await startMetricsServer(port, config.observability.workerMetrics.host);
    logger('metrics').info({ url: server.url }, 'metrics served');
  }
  void initSentry(config);
  const sampler = startHostSampler(options.connection, config, `worker ${options.name}`);
  return {
    metricsUrl: server?.url,
    watch: (workers) => watchTasks(workers, options.name),
    async stop() {
      sampler.stop();
      await server?.close();
      endSentrySession();
      await flushSentry(2000);
    },
  };
}

function watchTasks(workers: Worker[], name: string): void {
  // A BullMQ Worker's name is its queue's: the tasks registered on it get their series at 0 now.
  zeroTaskSeries(
    workers.flatMap((worker) =>
      allTasks()
        .filter((task) => task.queue === worker.name)
        .map((task) => ({ task: task.name, queue: worker.name })),
    ),
  );
  for (const worker of workers) {
    worker.on('active', (job: Job<JobData>) => countTask(job.name, job.queueName, 'started'));
    worker.on('completed', (job: Job<JobData>) => {
      countTask(job.name, job.queueName, 'succeeded');
      if (job.processedOn) observeRuntime(job.name, ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000);
    });
    worker.on('failed', (job: Job<JobData> | undefined, error: Error) => {
      if (!job) return;
      // BullMQ sets finishedOn only when the failure is final; otherwise the task waits for a retry.
      const willRetry = !job.finishedOn;
      countTask(job.name, job.queueName, willRetry ? 'retried' : 'failed');
      if (job.processedOn) observeRuntime(job.name, ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000);
      if (CONSEQUENCE.test(error.message)) return;
      if (willRetry) recordTaskRetry(describeFailure(job, name), error);
      else captureTaskFailure(describeFailure(job, name), error);
    });
  }
}
