// The data behind `gwqueue events`: the task table fed by queue events, its first screen of recent tasks, and the header summary.
import type { Job } from 'bullmq';
import type { Config } from '../../config/index.js';
import type { TaskClient } from '../../queue/client.js';
import { liveWorkers } from '../../queue/heartbeats.js';
import type { TaskEvent } from './task-events.js';

export interface Row {
  id: string;
  name: string;
  queue: string;
  worker: string | null;
  state: string;
  /** Last change (ms). */
  time: number;
}

const MAX_ROWS = 1000;
/** Events that change what the table shows; the others (progress, duplicated…) only refresh the time. */
const STATE_EVENTS = new Set(['waiting', 'delayed', 'waiting-children', 'active', 'completed', 'failed', 'removed', 'stalled']);

/** The table's data, kept outside React: events arrive faster than frames, so the screen re-reads it at most every 100 ms. */
export class TaskBoard {
  readonly rows = new Map<string, Row>();
  version = 0;
  lastQueueEvent = '';

  apply(event: TaskEvent): void {
    this.version++;
    if (!event.id) {
      this.lastQueueEvent = `${new Date(event.time).toLocaleTimeString()} queue ${event.queue} ${event.event}`;
      return;
    }
    const row = this.rows.get(event.id) ?? {
      id: event.id,
      name: event.name ?? '?',
      queue: event.queue,
      worker: null,
      state: 'waiting',
      time: event.time,
    };
    if (event.name) row.name = event.name;
    if (event.worker) row.worker = event.worker;
    row.time = event.time;
    // A task delayed after it ran is waiting out a retry's backoff.
    if (STATE_EVENTS.has(event.event))
      row.state = event.event === 'delayed' && (row.state === 'active' || event.extra.prev === 'active') ? 'retrying' : event.event;
    this.rows.delete(event.id);
    this.rows.set(event.id, row);
    if (this.rows.size > MAX_ROWS) this.rows.delete(this.rows.keys().next().value!);
  }

  load(jobs: { job: Job; state: string }[]): void {
    const rows = jobs
      .map(({ job, state }) => ({
        id: job.id!,
        name: job.name,
        queue: job.queueName,
        worker: job.processedBy ?? null,
        state,
        time: job.finishedOn ?? job.processedOn ?? job.timestamp,
      }))
      .sort((a, b) => a.time - b.time);
    for (const row of rows) if (!this.rows.has(row.id)) this.rows.set(row.id, row);
    this.version++;
  }

  /** Newest change first. */
  ordered(): Row[] {
    return [...this.rows.values()].reverse();
  }
}

/** The latest tasks of every state, for the table's first screen. */
export async function recentJobs(client: TaskClient, perState = 50): Promise<{ job: Job; state: string }[]> {
  const states = ['active', 'waiting', 'prioritized', 'delayed', 'waiting-children', 'completed', 'failed'] as const;
  const queues = await client.queueNames();
  const lists = await Promise.all(
    queues.flatMap((queue) =>
      states.map(async (state) =>
        (await client.queue(queue).getJobs([state], 0, perState - 1, false)).filter(Boolean).map((job) => ({ job, state })),
      ),
    ),
  );
  return lists.flat();
}

export interface Summary {
  workers: string[];
  counts: Record<string, number>;
  paused: string[];
  error?: string;
}

export async function summarize(client: TaskClient, config: Config): Promise<Summary> {
  const queues = await client.queueNames();
  const [workers, counts, paused] = await Promise.all([
    liveWorkers(client.redis, config),
    Promise.all(
      queues.map((queue) => client.queue(queue).getJobCounts('wait', 'paused', 'prioritized', 'active', 'delayed', 'completed', 'failed')),
    ),
    Promise.all(queues.map(async (queue) => ((await client.queue(queue).isPaused()) ? queue : ''))),
  ]);
  const total: Record<string, number> = {};
  for (const c of counts) for (const [key, value] of Object.entries(c)) total[key] = (total[key] ?? 0) + value;
  return { workers: workers.map((w) => w.name), counts: total, paused: paused.filter(Boolean) };
}
