// The queue side shared by bench/bare.mjs and bench/floor.mjs: BullMQ's queue, and a worker running the peer's no-op task in the same process.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Job, Queue, Worker } = require('bullmq');
const { Redis } = require('ioredis');

/** The patterns the peer checks the form's two fields against. */
export const SUPEREVENT = /^[MT]?S\d{6}[a-z]+$/;
export const EVENT = /^[GMTE]\d+$/;

/**
 * `recordFinished`: the worker writes one record per finished task (HSET + ZADD + HINCRBY in one MULTI), as a task list
 * needs at least. `worker: false`: no worker in this process (another process runs it: `floor.mjs --worker`).
 */
export function openQueue(redisUrl, { recordFinished = false, worker: withWorker = true } = {}) {
  const connection = () => new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('bare', { connection: connection() });
  const worker = withWorker
    ? new Worker('bare', async (job) => ({ ...job.data, alert_type: 'preliminary', sent: true }), {
        connection: connection(),
        concurrency: 4,
      })
    : undefined;
  const records = recordFinished && worker ? connection() : undefined;
  worker?.on('completed', (job, result) => {
    records
      ?.multi()
      .hset(`floor:task:${job.id}`, {
        name: job.name,
        state: 'completed',
        result: JSON.stringify(result),
        finishedOn: String(job.finishedOn),
      })
      .zadd('floor:tasks', job.finishedOn ?? Date.now(), job.id)
      .hincrby('floor:history', String(Math.floor(Date.now() / 60000)), 1)
      .exec()
      .catch(() => {});
  });
  return {
    connection,
    /** Enqueues one form's task; resolves with its job ID. */
    add: async (superevent_id, event_id) => (await queue.add('prelim', { superevent_id, event_id }, { removeOnComplete: 1000 })).id,
    /** {id, state, result} of a job, or undefined when there is none. */
    async result(id) {
      const job = await Job.fromId(queue, id);
      return job ? { id, state: await job.getState(), result: job.returnvalue ?? null } : undefined;
    },
    async close() {
      records?.disconnect();
      await worker?.close();
      await queue.close();
    },
  };
}
