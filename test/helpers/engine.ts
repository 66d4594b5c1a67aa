// Test wiring for the task engine: a config pointing at the test Redis, a connected client and in-process workers.
import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config/index.js';
import { connectClient, type TaskClient } from '../../src/queue/client.js';
import { startWorker, type RunningWorker, type WorkerOptions } from '../../src/worker/run-worker.js';
import { setCurrentClient } from '../../src/queue/current-client.js';

/** A config for tests: its own key prefix (so test files never see each other's keys) and fast timings. */
export function testConfig(redisUrl: string, overrides: Record<string, string> = {}): Config {
  return loadConfig({
    GWQUEUE_ENV: 'test',
    REDIS_URL: redisUrl,
    GWQUEUE_PREFIX: `t${randomUUID().slice(0, 8)}`,
    GWQUEUE_RETRY_BACKOFF_MS: '50',
    GWQUEUE_HEARTBEAT_MS: '200',
    ...overrides,
  });
}

export interface Engine {
  config: Config;
  client: TaskClient;
  workers: RunningWorker[];
  startWorker(options?: WorkerOptions): Promise<RunningWorker>;
  stop(): Promise<void>;
}

export async function startEngine(config: Config): Promise<Engine> {
  const client = await connectClient(config);
  const workers: RunningWorker[] = [];
  return {
    config,
    client,
    workers,
    async startWorker(options = {}) {
      const worker = await startWorker(config, options);
      workers.push(worker);
      return worker;
    },
    async stop() {
      await Promise.all(workers.map((worker) => worker.stop()));
      await client.close();
      setCurrentClient(undefined);
    },
  };
}

/** Jobs in every queue, all states: proves that a refusal queued nothing. */
export async function jobCount(client: TaskClient): Promise<number> {
  let total = 0;
  for (const name of await client.queueNames()) {
    const counts = await client.queue(name).getJobCounts();
    total += Object.values(counts).reduce((a, b) => a + b, 0);
  }
  return total;
}

/**
 * Waits a fixed time: only for pacing (a client's retry interval, a fault's length, a time difference a check needs),
 * never to let something happen or not happen; for that, wait for an event with `eventually()`.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until the check returns a truthy value, or fails after the timeout. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, label = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(50);
  }
}

/**
 * Waits until every task of `ids` has finished (completed or failed) and gives each one's state; a timeout names the celery queue's unfinished
 * jobs and what `tail()` adds (e.g. the workers' last output).
 */
export async function everyTaskFinished(
  client: TaskClient,
  ids: string[],
  timeoutMs: number,
  tail: () => string = () => '',
): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  await eventually(
    async () => {
      for (const id of ids) {
        if (['completed', 'failed'].includes(states.get(id) ?? '')) continue;
        const job = await client.findJob(id);
        states.set(id, job ? await job.getState() : 'missing');
      }
      return [...states.values()].every((state) => state === 'completed' || state === 'failed');
    },
    timeoutMs,
    'every chain to finish',
  ).catch(async (error: Error) => {
    const stuck: string[] = [];
    for (const job of await client.queue('celery').getJobs(['active', 'waiting', 'delayed', 'waiting-children', 'failed', 'prioritized']))
      stuck.push(
        `${job.name.split('.').pop()} ${await job.getState()} attempts ${job.attemptsMade}/${job.attemptsStarted} ${job.failedReason ?? ''}`,
      );
    throw new Error(`${error.message}: ${stuck.join('; ')}\n${tail()}`);
  });
  return states;
}
