// Runs BullMQ workers for the registered tasks of the chosen queues, with heartbeats and graceful shutdown.
import os from 'node:os';
import { MetricsTime, Worker, type Job } from 'bullmq';
import { ConfigError, type Config } from '../config/index.js';
import { createRedisConnection } from '../redis/connection.js';
import { redisFault } from '../redis/errors.js';
import { noteRedisTrouble } from '../redis/trouble-clock.js';
import { warnIfWritesAtRisk } from '../redis/durability.js';
import { bullPrefix, workerKeys } from '../redis/keys.js';
import { knownQueues, queueConcurrency, registeredQueues, unknownConfiguredQueues } from '../queue/registry.js';
import { clearHeartbeat, hostSnapshot, sendHeartbeat, type HeartbeatPayload, type WorkerStats } from '../queue/heartbeats.js';
import type { JobData } from '../queue/canvas.js';
import { logger } from '../log/logger.js';
import { stopStep } from '../log/stop-step.js';
import { VERSION } from '../version.js';
import { createProcessor } from './processor.js';
import { startTaskIndexer } from '../task-index/task-indexer.js';
import { startControlListener } from './control.js';
import { startWorkerObservability } from './instrumentation.js';
import { componentHealth } from './components.js';
import { keepStopMark, writeKeptStopMarks } from './stop-marks.js';
import { waitForMemory, type MemoryWait } from './memory-wait.js';
import { syncSchedulers } from '../schedules/schedulers.js';

export interface WorkerOptions {
  queues?: string[];
  /** Tasks at once on every served queue (`-c`); without it each queue has its own (queueConcurrency). */
  concurrency?: number;
  name?: string;
  /** Called when a `gwqueue control shutdown` arrives; without it the worker stops itself. */
  onShutdownRequest?: () => void;
  /** Serve GET /metrics on this port (`--metrics-port`; default GWQUEUE_WORKER_METRICS_PORT, else none). */
  metricsPort?: number;
}

export interface RunningWorker {
  name: string;
  queues: string[];
  stats: WorkerStats;
  /** Stops taking work, waits for active tasks up to the shutdown timeout, then closes. Resolves true when clean. */
  stop(): Promise<boolean>;
}

export function defaultWorkerName(): string {
  return `worker${process.pid}@${os.hostname()}`;
}

/** A queue in GWQUEUE_QUEUE_CONCURRENCY that nothing knows is a typo: refuse it (`gwqueue dev` asks before it starts Redis). */
export function checkQueueSettings(config: Config): void {
  const misnamed = unknownConfiguredQueues(config);
  if (misnamed.length)
    throw new ConfigError('GWQUEUE_QUEUE_CONCURRENCY', `unknown queue ${misnamed.join(', ')} (known: ${knownQueues().join(', ')})`);
}

export async function startWorker(config: Config, options: WorkerOptions = {}): Promise<RunningWorker> {
  const log = logger('worker');
  const queues = options.queues?.length ? options.queues : registeredQueues();
  checkQueueSettings(config);
  const concurrencyOf = (queue: string) => options.concurrency ?? queueConcurrency(config, queue);
  const name = options.name ?? defaultWorkerName();
  const connection = createRedisConnection(config, 'worker');
  const stats: WorkerStats = { active: 0, processed: 0, succeeded: 0, failed: 0, retried: 0 };
  const startedAt = new Date().toISOString();
  let status: 'online' | 'stopping' = 'online';
  // With Sentinels, a step ends once a replica has its writes, and a step a failover cut through runs again.
  // A transient failure up to a lock's length and two backoffs after Redis trouble may only say that what the task
  // waited for was held up (a step whose completion Redis refused runs again after its lock expires).
  const heldUpWindowMs = config.worker.lockDurationMs + 2 * config.retry.maxBackoffMs;
  const memory: MemoryWait = {
    redis: connection,
    probeKey: workerKeys.memoryProbe(config, name),
    maxBackoffMs: config.retry.maxBackoffMs,
    stopping: () => status !== 'online',
  };
  const processor = createProcessor(name, config.retry.attempts, {
    replication: config.redis.sentinels.length ? { redis: connection, config } : undefined,
    heldUpWindowMs,
    memory,
  });
  // Redis trouble the worker meets outside a task (BullMQ's own commands: taking a job, completing one) counts too.
  connection.on('error', (error: Error) => {
    if (redisFault(error, true)) noteRedisTrouble();
  });

  const workers = queues.map((queue) => {
    const worker = new Worker<JobData>(queue, processor, {
      connection,
      prefix: bullPrefix(config),
      concurrency: concurrencyOf(queue),
      name,
      lockDuration: config.worker.lockDurationMs,
      stalledInterval: Math.max(500, Math.floor(config.worker.lockDurationMs / 2)),
      maxStalledCount: config.worker.maxStalledCount,
      // BullMQ's per-minute completed/failed counters (two weeks): failure ratios and history read them.
      metrics: { maxDataPoints: MetricsTime.TWO_WEEKS },
      settings: {
        // BACKOFF_TYPE: doubling from the job's first delay, capped, so that many attempts stay close together.
        backoffStrategy: (attemptsMade, _type, _error, job) =>
          Math.min(
            config.retry.maxBackoffMs,
            Math.round(((job?.opts.backoff as { delay?: number })?.delay ?? config.retry.backoffMs) * 2 ** Math.max(0, attemptsMade - 1)),
          ),
      },
    });
    worker.on('active', () => {
      stats.active++;
    });
    worker.on('completed', () => {
      stats.active = Math.max(0, stats.active - 1);
      stats.processed++;
      stats.succeeded++;
    });
    worker.on('failed', (job: Job<JobData> | undefined, error: Error) => {
      stats.active = Math.max(0, stats.active - 1);
      stats.processed++;
      // BullMQ sets finishedOn only when the failure is final; otherwise the task waits for a retry.
      const willRetry = !!job && !job.finishedOn;
      if (willRetry) stats.retried++;
      else stats.failed++;
      // A later chain step fails only because an earlier one did, which was logged already.
      const consequence = /^child .* failed/.test(error.message);
      log[consequence ? 'info' : willRetry ? 'warn' : 'error'](
        { task: job?.name, id: job?.id, queue, attempt: job?.attemptsMade, willRetry, err: { message: error.message, stack: error.stack } },
        willRetry ? 'task failed, will retry' : 'task failed',
      );
    });
    worker.on('error', (error) => {
      const fault = redisFault(error, true);
      if (fault) noteRedisTrouble();
      // BullMQ tries to take the next task again at once after a refusal: a full Redis would be asked thousands of
      // times a second (and the log flooded). The worker holds still instead, once, until Redis takes writes again.
      if (fault === 'out-of-memory') return void holdWhileFull();
      log.warn({ err: { message: error.message }, queue }, 'worker connection error');
    });
    return worker;
  });

  /**
   * While Redis is full the workers take no new task (paused here only, not the queues: active tasks go on and wait for
   * memory inside their attempt), and take tasks again once Redis takes a small write.
   */
  let holding = false;
  async function holdWhileFull(): Promise<void> {
    if (holding || status !== 'online') return;
    holding = true;
    log.warn({ name }, 'Redis is out of memory (maxmemory reached): taking no new task until it accepts writes again');
    await Promise.all(workers.map((worker) => worker.pause(true).catch(() => undefined)));
    const back = await waitForMemory(memory);
    if (status === 'online') for (const worker of workers) worker.resume();
    holding = false;
    if (back) log.info({ name }, 'Redis accepts writes again: taking tasks again');
  }

  const indexer = startTaskIndexer(config, connection, workers); // the dashboard's task index and history
  const observability = await startWorkerObservability(config, { name, workers, connection, metricsPort: options.metricsPort }); // metrics, Sentry, host samples
  const components = componentHealth(config, queues); // the alert sink, when this worker holds it
  const payload = (): HeartbeatPayload => ({
    name,
    queues,
    // `control concurrency` changes the BullMQ workers: read them, not what they started with.
    concurrency: Math.max(0, ...workers.map((worker) => worker.concurrency)),
    queueConcurrency: Object.fromEntries(workers.map((worker) => [worker.name, worker.concurrency])),
    status,
    startedAt,
    version: VERSION,
    lastHeartbeat: new Date().toISOString(),
    ...stats,
    ...hostSnapshot(),
    components: components(),
  });
  const beat = async () => {
    try {
      await sendHeartbeat(connection, config, payload());
    } catch (error) {
      log.warn({ err: { message: (error as Error).message } }, 'heartbeat failed');
    }
  };
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  // The schedules of its queues, as this worker's configuration says: kept in Redis, run by whichever worker is free.
  // Bounded: a Redis that goes away right now must not hold the worker's start (the sync then finishes when it returns).
  let syncTimer: ReturnType<typeof setTimeout> | undefined;
  try {
    const synced = await Promise.race([
      syncSchedulers(connection, config, queues),
      new Promise<undefined>((resolve) => (syncTimer = setTimeout(() => resolve(undefined), 5000))),
    ]);
    if (synced === undefined) log.warn({ name }, 'schedules not synced within 5 s (Redis away?); going on');
    else if (synced.length) log.info({ schedules: synced }, 'schedules synced');
  } catch (error) {
    log.warn({ err: { message: (error as Error).message } }, 'could not sync the schedules; the ones in Redis stay as they were');
  } finally {
    clearTimeout(syncTimer);
  }
  await beat();
  const timer = setInterval(beat, config.worker.heartbeatMs);
  // Workers that stopped cleanly here while Redis was away left their "stopped" mark on disk: write it now.
  void writeKeptStopMarks(connection, config, log).catch((error: Error) =>
    log.warn({ err: { message: error.message } }, 'could not write the stop marks kept on disk'),
  );
  const control = await startControlListener(config, connection, {
    name,
    queues,
    workers,
    requestShutdown: () => (options.onShutdownRequest ? options.onShutdownRequest() : void stop()),
  });
  log.info({ name, queues, concurrency: Object.fromEntries(queues.map((queue) => [queue, concurrencyOf(queue)])) }, 'worker started');
  warnIfWritesAtRisk(connection, log);

  // Nothing in the stop path may wait on Redis without a bound (with Redis away, the worker's connection queues
  // commands until it returns): each step waits at most its share, and what did not finish is logged.
  const bounded = (work: Promise<unknown>, ms: number, what: string) => stopStep(log, work, ms, what, { name });

  let stopping: Promise<boolean> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const deadline = Date.now() + config.worker.shutdownTimeoutMs;
      status = 'stopping';
      await bounded(beat(), 200, 'the "stopping" heartbeat');
      const closing = Promise.all(workers.map((worker) => worker.close()));
      const clean = await bounded(closing, Math.max(0, deadline - Date.now()), 'active tasks');
      if (!clean) {
        log.warn({ name, active: stats.active }, 'shutdown timeout reached; active tasks will be picked up again by another worker');
        await bounded(Promise.all(workers.map((worker) => worker.close(true))), 200, 'closing the queues');
      }
      clearInterval(timer);
      // The "stopped" mark: with Redis away the connection holds it and sends it if Redis is back before the end.
      const stopped: HeartbeatPayload = { ...payload(), status: 'stopped', active: 0 };
      let markWritten = false;
      const marking = clearHeartbeat(connection, config, stopped).then(
        () => (markWritten = true),
        () => undefined, // refused (Redis full) or cut off at the end: kept on disk below
      );
      // The rest within 0.3 s together: the whole stop stays within the shutdown timeout + 1 s.
      await bounded(
        Promise.allSettled([indexer.stop(), control.close(), observability.stop(), marking]),
        300,
        'task index, control channel, metrics/Sentry flush, heartbeat record',
      );
      if (!markWritten) {
        // Redis did not come back during the stop: monitoring would take this stop for a crash ("stopped sending
        // heartbeats"). The mark is kept on disk for the next worker started here to write.
        const file = await keepStopMark(config, stopped).catch(() => undefined);
        log.warn(
          { name, file },
          file
            ? 'the "stopped" mark could not reach Redis; the next worker started here writes it (until then monitoring reports this worker as lost)'
            : 'the "stopped" mark could not reach Redis nor be kept on disk; monitoring reports this worker as lost until it is forgotten',
        );
      }
      connection.disconnect();
      log.info({ name, clean }, 'worker stopped');
      return clean;
    })();
    return stopping;
  };
  return { name, queues, stats, stop };
}
