// Each queue as the dashboard's Queues page shows it: counts by state, paused, oldest waiting task, and the live workers consuming it.
import type { TaskClient } from './client.js';
import { liveWorkers } from './heartbeats.js';
import { readQueueStats } from './queue-stats.js';

export interface QueueOverview {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  paused: boolean;
  /** How long the oldest waiting task has waited (ms), or null when nothing waits. */
  oldestWaitingMs: number | null;
  /** Live workers (status online) consuming this queue. */
  workers: string[];
  /** Tasks of this queue those workers run at once, all together (each worker's queueConcurrency). */
  concurrency: number;
  /** True when no live worker consumes the queue: its tasks will not run. */
  unserved: boolean;
}

export async function queueOverview(client: TaskClient, now = Date.now()): Promise<QueueOverview[]> {
  const names = await client.queueNames();
  const [stats, live, counts, paused] = await Promise.all([
    readQueueStats(client.redis, client.prefix, names, now, 1),
    liveWorkers(client.redis, client.config),
    Promise.all(
      names.map((name) =>
        client.queue(name).getJobCounts('waiting', 'paused', 'prioritized', 'waiting-children', 'active', 'delayed', 'failed', 'completed'),
      ),
    ),
    Promise.all(names.map((name) => client.queue(name).isPaused())),
  ]);
  return names.map((name, index) => {
    const c = counts[index];
    const serving = live.filter((w) => w.info.status === 'online' && w.info.queues.includes(name));
    const workers = serving.map((w) => w.name);
    const since = stats[index]?.oldestWaitingSince ?? null;
    return {
      name,
      waiting: (c.waiting ?? 0) + (c.paused ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      failed: c.failed ?? 0,
      completed: c.completed ?? 0,
      paused: paused[index],
      oldestWaitingMs: since === null ? null : Math.max(0, now - since),
      workers,
      concurrency: serving.reduce((sum, w) => sum + (w.info.queueConcurrency?.[name] ?? w.info.concurrency), 0),
      unserved: workers.length === 0,
    };
  });
}
