// `gwqueue inspect`: what each worker is doing, in Celery's shapes, from heartbeats and BullMQ (ping asks the workers themselves).
import type { Job } from 'bullmq';
import type { Config } from '../config/index.js';
import type { TaskClient } from '../queue/client.js';
import { liveWorkers, type HeartbeatPayload } from '../queue/heartbeats.js';
import { allTasks, registeredQueues } from '../queue/registry.js';
import { describeRedis } from '../redis/connection.js';
import type { JobData } from '../queue/canvas.js';
import { sendControl } from './control-client.js';
import { readSchedules, type ScheduleView } from '../schedules/schedulers.js';
import { FIRE_TASK } from '../schedules/schedule-registry.js';
import { redactorFor } from '../log/redact.js';

export const INSPECT_METHODS = ['active', 'reserved', 'scheduled', 'stats', 'registered', 'active_queues', 'ping'] as const;
export type InspectMethod = (typeof INSPECT_METHODS)[number];

export interface InspectResult {
  method: InspectMethod;
  /** Worker name → its answer, in Celery's shape for that method. */
  replies: Record<string, unknown>;
  /** Workers asked for by name (-d) that are not online or did not answer. */
  missing: string[];
  /** active_queues over every worker: the known queues no online worker consumes (their tasks wait forever). */
  unserved?: string[];
  /** scheduled: every declared schedule (deployment-wide): its interval, next run, last run and that task's state. */
  schedules?: ScheduleView[];
}

/** Celery's task request shape (`inspect active` and friends). */
export interface TaskRequest {
  id: string;
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  type: string;
  hostname: string | null;
  time_start: number | null;
  acknowledged: boolean;
  delivery_info: { exchange: string; routing_key: string; priority: number; redelivered: boolean };
  worker_pid: number | null;
}

/** How many tasks per queue `reserved` and `scheduled` list at most. */
const LIST_LIMIT = 100;

function request(job: Job, worker: HeartbeatPayload | undefined): TaskRequest {
  const data = (job.data ?? {}) as Partial<JobData>;
  return {
    id: job.id!,
    name: job.name,
    args: data.args ?? [],
    kwargs: data.kwargs ?? {},
    type: job.name,
    hostname: job.processedBy ?? worker?.name ?? null,
    time_start: job.processedOn ? job.processedOn / 1000 : null,
    acknowledged: !!job.processedOn,
    delivery_info: { exchange: '', routing_key: job.queueName, priority: job.opts.priority ?? 0, redelivered: job.attemptsMade > 0 },
    worker_pid: job.processedOn ? (worker?.pid ?? null) : null,
  };
}

async function perQueue<T>(queues: string[], read: (queue: string) => Promise<T>): Promise<Map<string, T>> {
  const entries = await Promise.all(queues.map(async (queue) => [queue, await read(queue)] as const));
  return new Map(entries);
}

export async function inspect(
  client: TaskClient,
  config: Config,
  method: InspectMethod,
  options: { destination?: string[]; timeoutMs: number },
): Promise<InspectResult> {
  const result = await gather(client, config, method, options);
  // Task requests carry the tasks' arguments: shown (text or --json), so redacted as the logs are.
  return { ...result, replies: redactorFor(config).value(result.replies) };
}

async function gather(
  client: TaskClient,
  config: Config,
  method: InspectMethod,
  options: { destination?: string[]; timeoutMs: number },
): Promise<InspectResult> {
  if (method === 'ping') {
    const { replies, missing } = await sendControl(client.redis, config, {
      action: 'ping',
      destination: options.destination,
      timeoutMs: options.timeoutMs,
      sender: 'inspect',
    });
    return { method, replies: Object.fromEntries(replies.map((r) => [r.worker, { ok: r.message }])), missing };
  }
  const live = (await liveWorkers(client.redis, config)).filter((w) => !options.destination || options.destination.includes(w.name));
  const missing = (options.destination ?? []).filter((name) => !live.some((w) => w.name === name));
  const queues = [...new Set(live.flatMap((w) => w.info.queues))].sort();
  const replies: Record<string, unknown> = {};
  switch (method) {
    case 'active': {
      const active = await perQueue(queues, (queue) => client.queue(queue).getActive());
      for (const { name, info } of live) {
        replies[name] = info.queues.flatMap((queue) =>
          (active.get(queue) ?? []).filter((job) => job?.processedBy === name).map((job) => request(job, info)),
        );
      }
      break;
    }
    case 'reserved': {
      // BullMQ workers take a task only when they start it: what they will take next is what waits in their queues.
      const waiting = await perQueue(queues, (queue) => client.queue(queue).getJobs(['prioritized', 'waiting'], 0, LIST_LIMIT - 1, true));
      for (const { name, info } of live)
        replies[name] = info.queues.flatMap((queue) => (waiting.get(queue) ?? []).filter(Boolean).map((job) => request(job, undefined)));
      break;
    }
    case 'scheduled': {
      const [delayed, schedules] = await Promise.all([
        perQueue(queues, (queue) => client.queue(queue).getJobs(['delayed'], 0, LIST_LIMIT - 1, true)),
        readSchedules(client.redis, config),
      ]);
      for (const { name, info } of live) {
        replies[name] = info.queues.flatMap((queue) =>
          (delayed.get(queue) ?? []).filter(Boolean).map((job) => {
            // A schedule's next firing: named, with what it runs and its last run.
            const schedule =
              job.name === FIRE_TASK ? schedules.find((s) => s.name === (job.data as Partial<JobData>)?.args?.[0]) : undefined;
            return {
              eta: new Date(job.timestamp + (job.delay ?? 0)).toISOString(),
              priority: job.opts.priority ?? 0,
              request: request(job, undefined),
              ...(schedule ? { schedule: scheduleJson(schedule) } : {}),
            };
          }),
        );
      }
      return { method, replies, missing, schedules };
    }
    case 'stats':
      for (const { name, info } of live) {
        replies[name] = {
          pid: info.pid,
          hostname: info.hostname,
          uptime: Math.round((Date.now() - Date.parse(info.startedAt)) / 1000),
          pool: { implementation: 'bullmq', 'max-concurrency': info.concurrency, queues: info.queues },
          total: { processed: info.processed, succeeded: info.succeeded, failed: info.failed, retried: info.retried },
          active: info.active,
          rusage: { maxrss: Math.round(info.memoryRss / 1024) },
          loadavg: info.loadAverage,
          status: info.status,
          version: info.version,
          started_at: info.startedAt,
          last_heartbeat: info.lastHeartbeat,
          // What GWCelery's bootsteps add to stats (Kafka, VOEvent peers): the listeners and sinks it holds.
          components: info.components ?? [],
          broker: { transport: 'redis', hostname: describeRedis(config), prefix: client.prefix },
        };
      }
      break;
    case 'registered': {
      const tasks = allTasks();
      for (const { name, info } of live)
        replies[name] = tasks
          .filter((task) => info.queues.includes(task.queue))
          .map((task) => task.name)
          .sort();
      break;
    }
    case 'active_queues': {
      const paused = await perQueue(queues, (queue) => client.queue(queue).isPaused());
      for (const { name, info } of live) {
        replies[name] = info.queues.map((queue) => ({
          name: queue,
          routing_key: queue,
          durable: true,
          exclusive: false,
          paused: paused.get(queue) ?? false,
        }));
      }
      if (!options.destination) {
        const served = new Set(live.filter((w) => w.info.status === 'online').flatMap((w) => w.info.queues));
        return { method, replies, missing, unserved: registeredQueues().filter((queue) => !served.has(queue)) };
      }
      break;
    }
  }
  return { method, replies, missing };
}

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

/** A schedule as `inspect scheduled --json` shows it beside its next firing. */
function scheduleJson(schedule: ScheduleView) {
  const run = schedule.lastRun;
  return {
    name: schedule.name,
    task: schedule.task,
    every_s: schedule.scheduler ? schedule.scheduler.everyMs / 1000 : null,
    next_run: iso(schedule.scheduler?.nextRunAt),
    last_run: run ? { at: iso(run.firedAt), task_id: run.taskId, state: run.state, error: run.error } : null,
  };
}

const seconds = (ms: number) =>
  ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;

/** One line per schedule: what it runs, how often, when next, and how its last run went. */
export function scheduleLine(schedule: ScheduleView): string {
  const where = schedule.scheduler
    ? `every ${seconds(schedule.scheduler.everyMs)} on queue ${schedule.queue}, next ${iso(schedule.scheduler.nextRunAt) ?? '-'}`
    : `not scheduled (switched off, or no worker of queue ${schedule.queue} started since it was switched on)`;
  const run = schedule.lastRun;
  const last = run ? `last run ${iso(run.firedAt)}: task ${run.taskId} ${run.state}${run.error ? ` (${run.error})` : ''}` : 'never run';
  return `${schedule.name}: ${schedule.task} ${where}; ${last}`;
}

const time = (seconds: number | null) => (seconds ? new Date(seconds * 1000).toISOString().slice(11, 19) : '');

function requestLine(r: TaskRequest): string {
  const args = JSON.stringify(r.args);
  const kwargs = Object.keys(r.kwargs).length ? ` kwargs=${JSON.stringify(r.kwargs)}` : '';
  const started = r.time_start ? ` started ${time(r.time_start)}` : '';
  return `${r.id} ${r.name} args=${args.length > 120 ? `${args.slice(0, 119)}…` : args}${kwargs}${started}`;
}

/** Celery's plain-text layout: "-> worker: OK", one indented line per item ("- empty -" for none). */
export function formatInspect(result: InspectResult): string[] {
  const lines: string[] = [];
  for (const [worker, reply] of Object.entries(result.replies).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`-> ${worker}: OK`);
    let items: string[];
    switch (result.method) {
      case 'ping':
        items = [(reply as { ok: string }).ok];
        break;
      case 'active':
      case 'reserved':
        items = (reply as TaskRequest[]).map(requestLine);
        break;
      case 'scheduled':
        items = (reply as { eta: string; request: TaskRequest; schedule?: { name: string; task: string } }[]).map((s) =>
          s.schedule ? `${s.eta} ${s.request.id} schedule ${s.schedule.name} (${s.schedule.task})` : `${s.eta} ${requestLine(s.request)}`,
        );
        break;
      case 'registered':
        items = reply as string[];
        break;
      case 'active_queues':
        items = (reply as { name: string; paused: boolean }[]).map((q) => `${q.name}${q.paused ? ' (paused)' : ''}`);
        break;
      case 'stats':
        items = JSON.stringify(reply, null, 4).split('\n');
        break;
    }
    if (!items.length) lines.push('    - empty -');
    else lines.push(...items.map((item) => (result.method === 'stats' ? `    ${item}` : `    * ${item}`)));
  }
  if (result.schedules?.length) lines.push('Schedules:', ...result.schedules.map((schedule) => `    * ${scheduleLine(schedule)}`));
  return lines;
}
