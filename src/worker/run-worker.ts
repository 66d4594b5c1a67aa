// Runs BullMQ workers for the registered tasks of the chosen queues, with heartbeats and graceful shutdown.
import os from 'node:os';
import { MetricsTime, Worker, type Job } from 'bullmq';
import { ConfigError, type Config } from '../config/index.js';
import { createRedisConnection, describeRedis } from '../redis/connection.js';
import { isConnectionError, OutageLog } from '../redis/outage-log.js';
import { redisFault } from '../redis/errors.js';
import { noteRedisTrouble } from '../redis/trouble-clock.js';
import { warnIfWritesAtRisk } from '../redis/durability.js';
import { bullPrefix, workerKeys } from '../redis/keys.js';
import { knownQueues, queueConcurrency, registeredQueues, unknownConfiguredQueues } from '../queue/registry.js';
import { clearHeartbeat, hostSnapshot, sendHeartbeat, type HeartbeatPayload, type WorkerStats } from '../queue/heartbeats.js';
import type { JobData } from '../queue/canvas.js';
import { logger } from '../log/logger.js';
import { stopStep } from '../log/stop-step.js';
import { runStartUp, StartStopped } from '../log/start-up.js';
import { VERSION } from '../version.js';
import { createProcessor } from './processor.js';
import { startTaskIndexer } from '../task-index/task-indexer.js';
import { startControlListener } from './control.js';
import { startWorkerObservability } from './instrumentation.js';
import { componentHealth } from './components.js';
import { syncSchedulers } from '../schedules/schedulers.js';
import { keepStopMark, writeKeptStopMarks } from './stop-marks.js';
import { waitForMemory, type MemoryWait } from './memory-wait.js';

export interface WorkerOptions {
  queues?: string[];
  /** Tasks at once on every served queue (`-c`); without it each queue has its own (queueConcurrency). */
  concurrency?: number;
  name?: string;
  /** Called when a `gwqueue control shutdown` arrives; without it the worker stops itself. */
  onShutdownRequest?: () => void;
  /** Serve GET /metrics on this port (`--metrics-port`; default GWQUEUE_WORKER_METRICS_PORT, else none). */
  metricsPort?: number;
  /** A stop asked while the worker starts (SIGTERM while it waits for Redis): the start gives up and closes what it opened. */
  signal?: AbortSignal;
}

export interface RunningWorker {
  name: string;
  queues: string[];
  stats: WorkerStats;
  /** Stops taking work, waits for active tasks up to the shutdown timeout, then closes. Resolves true when clean. */
  stop(): Promise<boolean>;
}

/** A worker ready to consume: every step that can fail is done; consume() is the last step of its start. */
export interface PreparedWorker extends RunningWorker {
  /** Starts taking jobs (once). */
  consume(): void;
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

/** Prepares the worker (prepareWorker), then starts taking jobs. */
export async function startWorker(config: Config, options: WorkerOptions = {}): Promise<RunningWorker> {
  const worker = await prepareWorker(config, options);
  worker.consume();
  return worker;
}

/**
 * Everything a worker needs before it takes a job, in an order where whatever can fail comes first: the settings, the
 * metrics port, Redis (waited for as long as it takes, or until a stop is asked), the schedules, the first heartbeat and
 * the control channel. The BullMQ consumers exist but take nothing until consume(): a worker that fails to start never
 * runs a task unseen (no heartbeat, no metrics, no log), and what it had started is closed (log/start-up.ts).
 */
export async function prepareWorker(config: Config, options: WorkerOptions = {}): Promise<PreparedWorker> {
  const log = logger('worker');
  return runStartUp(log, options.signal, async (start) => {
    const queues = options.queues?.length ? options.queues : registeredQueues();
    checkQueueSettings(config);
    const concurrencyOf = (queue: string) => options.concurrency ?? queueConcurrency(config, queue);
    const name = options.name ?? defaultWorkerName();
    // One report of an outage for all of this worker's connections (BullMQ's own per queue among them).
    const outage = new OutageLog(log, describeRedis(config));
    const connection = outage.watch(createRedisConnection(config, 'worker'));
    start.started('the Redis connection', () => connection.disconnect());
    const observability = await startWorkerObservability(config, { name, connection, metricsPort: options.metricsPort }); // metrics, Sentry, host samples
    start.started('metrics, Sentry, host samples', () => observability.stop(), 300);
    // Redis first, as long as it takes (the outage log says why), or until a stop is asked; the consumers only then.
    // (A BullMQ Worker closed while its connection still retries would fail later on a listener it has removed.) A
    // hung Redis accepts the connection and never answers, so no connection error would say it: its silence does.
    const silent = setTimeout(
      () => outage.failed(new Error(`connected, but no answer within ${config.redis.connectTimeoutMs} ms (hung?)`)),
      config.redis.connectTimeoutMs,
    );
    try {
      await start.step(
        connection.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => connection.once('ready', () => resolve())),
      );
    } finally {
      clearTimeout(silent);
    }
    const stats: WorkerStats = { active: 0, processed: 0, succeeded: 0, failed: 0, retried: 0 };
    const startedAt = new Date().toISOString();
    let status: 'online' | 'stopping' = 'online';
    let consuming = false;
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
        // Nothing is taken before consume(), the start's last step.
        autorun: false,
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
          {
            task: job?.name,
            id: job?.id,
            queue,
            attempt: job?.attemptsMade,
            willRetry,
            err: { message: error.message, stack: error.stack },
          },
          willRetry ? 'task failed, will retry' : 'task failed',
        );
      });
      // A lost connection is an outage, told once and then at a slowing rate; anything else as it comes.
      worker.on('error', (error) => {
        const fault = redisFault(error, true);
        if (fault) noteRedisTrouble();
        // BullMQ tries to take the next task again at once after a refusal: a full Redis would be asked thousands of
        // times a second (and the log flooded). The worker holds still instead, once, until Redis takes writes again.
        if (fault === 'out-of-memory') return void holdWhileFull();
        if (isConnectionError(error)) outage.failed(error);
        else log.warn({ err: { message: error.message }, queue }, 'worker error');
      });
      return worker;
    });

    /**
     * While Redis is full the workers take no new task (paused here only, not the queues: active tasks go on and wait
     * for memory inside their attempt), and take tasks again once Redis takes a small write.
     */
    let holding = false;
    async function holdWhileFull(): Promise<void> {
      if (holding || !consuming || status !== 'online') return;
      holding = true;
      log.warn({ name }, 'Redis is out of memory (maxmemory reached): taking no new task until it accepts writes again');
      await Promise.all(workers.map((worker) => worker.pause(true).catch(() => undefined)));
      const back = await waitForMemory(memory);
      if (status === 'online') for (const worker of workers) worker.resume();
      holding = false;
      if (back) log.info({ name }, 'Redis accepts writes again: taking tasks again');
    }
    start.started('the queues', () => Promise.all(workers.map((worker) => worker.close(true))));

    const indexer = startTaskIndexer(config, connection, workers); // the dashboard's task index and history
    start.started('the task index', () => indexer.stop());
    observability.watch(workers);
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
    // BullMQ's own connections (one per queue) are up in a moment: Redis has just answered.
    await start.step(Promise.all(workers.map((worker) => worker.waitUntilReady())));
    // The schedules of its queues, as this worker's configuration says: kept in Redis, run by whichever worker is free.
    // Bounded: a Redis that goes away right now must not hold the worker's start (the sync then finishes when it returns).
    let syncTimer: ReturnType<typeof setTimeout> | undefined;
    try {
      const synced = await start.step(
        Promise.race([
          syncSchedulers(connection, config, queues),
          new Promise<undefined>((resolve) => (syncTimer = setTimeout(() => resolve(undefined), 5000))),
        ]),
      );
      if (synced === undefined) log.warn({ name }, 'schedules not synced within 5 s (Redis away?); going on');
      else if (synced.length) log.info({ schedules: synced }, 'schedules synced');
    } catch (error) {
      if (error instanceof StartStopped) throw error;
      log.warn({ err: { message: (error as Error).message } }, 'could not sync the schedules; the ones in Redis stay as they were');
    } finally {
      clearTimeout(syncTimer);
    }
    await start.step(beat());
    const timer = setInterval(beat, config.worker.heartbeatMs);
    // A worker that did not finish starting must not be listed as online until its heartbeat expires.
    start.started('the heartbeat', () => {
      clearInterval(timer);
      return clearHeartbeat(connection, config, payload());
    });
    // Workers that stopped cleanly here while Redis was away left their "stopped" mark on disk: write it now.
    void writeKeptStopMarks(connection, config, log).catch((error: Error) =>
      log.warn({ err: { message: error.message } }, 'could not write the stop marks kept on disk'),
    );
    let stop: () => Promise<boolean> = async () => false;
    const control = await start.step(
      startControlListener(config, connection, {
        name,
        queues,
        workers,
        requestShutdown: () => (options.onShutdownRequest ? options.onShutdownRequest() : void stop()),
      }),
    );
    start.started('the control channel', () => control.close());

    // Nothing in the stop path may wait on Redis without a bound (with Redis away, the worker's connection queues
    // commands until it returns): each step waits at most its share, and what did not finish is logged.
    const bounded = (work: Promise<unknown>, ms: number, what: string) => stopStep(log, work, ms, what, { name });

    let stopping: Promise<boolean> | undefined;
    stop = () => {
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
        outage.close();
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
    const consume = () => {
      if (consuming) return;
      consuming = true;
      for (const worker of workers) worker.run().catch((error: Error) => worker.emit('error', error));
      log.info({ name, queues, concurrency: Object.fromEntries(queues.map((queue) => [queue, concurrencyOf(queue)])) }, 'worker started');
      warnIfWritesAtRisk(connection, log);
    };
    return { name, queues, stats, stop: () => stop(), consume };
  });
}
