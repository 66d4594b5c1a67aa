// Workers pages (the dashboard's home) and their JSON: every worker seen lately, online or offline, and one worker's detail.
import type { Request, Response, NextFunction } from 'express';
import { seenWorkers, type ComponentHealth, type SeenWorker } from '../../queue/heartbeats.js';
import { checkStatus } from '../../health/check-status.js';
import { queueOverview } from '../../queue/queue-overview.js';
import { listTasks } from '../../task-index/task-list.js';
import { TaskIndex, summarizeJob } from '../../task-index/task-index.js';
import { taskQueryFrom } from '../../task-index/task-query.js';
import type { WebContext } from '../context.js';
import { sendError } from '../middleware/errors.js';
import type { DashboardOptions } from './options.js';
import { redactorFor } from '../../log/redact.js';

export interface WorkerRow {
  name: string;
  hostname: string | null;
  pid: number | null;
  /** online; stopping (finishing its tasks); offline (stopped cleanly, or lost: no heartbeat). */
  status: 'online' | 'stopping' | 'offline';
  /** For an offline worker: whether it was stopped cleanly or vanished (killed, crashed, cut off). */
  offlineReason: 'stopped' | 'lost' | null;
  queues: string[];
  concurrency: number | null;
  /** Tasks at once per queue (queues differ: superevent 1, celery 4…); null from a worker that did not say. */
  queueConcurrency: Record<string, number> | null;
  active: number;
  processed: number;
  failed: number;
  succeeded: number;
  retried: number;
  loadAverage: number[];
  memoryRss: number | null;
  version: string | null;
  startedAt: string | null;
  lastHeartbeat: string;
  /** Listeners and sinks it holds (Flower's "Other" tab shows GWCelery's), as of its last heartbeat. */
  components: ComponentHealth[];
}

/** "4 per queue", or each queue's when they differ ("celery 4, superevent 1"), or null when unknown. */
function concurrencyText(worker: WorkerRow): string | null {
  const perQueue = Object.entries(worker.queueConcurrency ?? {});
  if (perQueue.length && new Set(perQueue.map(([, n]) => n)).size > 1) return perQueue.map(([queue, n]) => `${queue} ${n}`).join(', ');
  return worker.concurrency === null ? null : `${worker.concurrency} per queue`;
}

export function workerRow(worker: SeenWorker): WorkerRow {
  const info = worker.info;
  const status = worker.online ? (info?.status === 'stopping' ? 'stopping' : 'online') : 'offline';
  return {
    name: worker.name,
    hostname: info?.hostname ?? null,
    pid: info?.pid ?? null,
    status,
    offlineReason: status === 'offline' ? (info?.status === 'stopped' ? 'stopped' : 'lost') : null,
    queues: info?.queues ?? [],
    concurrency: info?.concurrency ?? null,
    queueConcurrency: info?.queueConcurrency ?? null,
    active: status === 'offline' ? 0 : (info?.active ?? 0),
    processed: info?.processed ?? 0,
    failed: info?.failed ?? 0,
    succeeded: info?.succeeded ?? 0,
    retried: info?.retried ?? 0,
    loadAverage: info?.loadAverage ?? [],
    memoryRss: info?.memoryRss ?? null,
    version: info?.version ?? null,
    startedAt: info?.startedAt ?? null,
    lastHeartbeat: new Date(worker.lastSeen).toISOString(),
    components: info?.components ?? [],
  };
}

const HOURS = [1, 6, 24, 72, 168];

function hoursFrom(req: Request, fallback: number): number {
  const hours = Number(req.query.hours);
  return Number.isFinite(hours) && hours > 0 && hours <= 24 * 31 ? hours : fallback;
}

/** Online first, then by name; offline ones after. */
export async function loadWorkers(ctx: WebContext, hours: number): Promise<WorkerRow[]> {
  const seen = await seenWorkers(ctx.redis, ctx.config, Date.now() - hours * 3_600_000);
  const rank = { online: 0, stopping: 1, offline: 2 };
  return seen.map(workerRow).sort((a, b) => rank[a.status] - rank[b.status] || a.name.localeCompare(b.name));
}

export function workersPage(ctx: WebContext, options: DashboardOptions) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const hours = hoursFrom(req, options.workerHours);
      const [workers, status] = await Promise.all([
        loadWorkers(ctx, hours),
        checkStatus(ctx.config, { redis: ctx.redis, timeoutMs: 2000 }),
      ]);
      const problems = status.findings.filter((finding) => finding.status !== 'OK');
      res.render('flower/workers', {
        title: 'Workers',
        section: 'workers',
        workers,
        hours,
        hourChoices: HOURS,
        status,
        problems,
        refresh: 10,
      });
    } catch (error) {
      next(error);
    }
  };
}

export function workersApi(ctx: WebContext, options: DashboardOptions) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.set('Cache-Control', 'no-store').json(await loadWorkers(ctx, hoursFrom(req, options.workerHours)));
    } catch (error) {
      next(error);
    }
  };
}

/** One worker: its row, its queues, the tasks it runs now and the ones it ran lately. */
async function loadWorker(ctx: WebContext, name: string) {
  const workers = await loadWorkers(ctx, 24 * 31);
  const worker = workers.find((w) => w.name === name);
  if (!worker) return undefined;
  const [queues, activeJobs, recent] = await Promise.all([
    queueOverview(ctx.client),
    Promise.all(worker.queues.map((queue) => ctx.client.queue(queue).getJobs(['active'], 0, 499))),
    listTasks(ctx.client, new TaskIndex(ctx.redis, ctx.config), taskQueryFrom({ q: `worker:"${name.toLowerCase()}"`, limit: '20' })),
  ]);
  const active = activeJobs
    .flat()
    .filter((job) => job && job.processedBy === name)
    .map((job) => summarizeJob(job, 'active', redactorFor(ctx.config)));
  return {
    worker,
    queues: queues.filter((queue) => worker.queues.includes(queue.name)),
    active,
    recent: recent.tasks.filter((task) => task.worker === name),
    configuration: {
      name: worker.name,
      hostname: worker.hostname,
      pid: worker.pid,
      version: worker.version,
      queues: worker.queues.join(', '),
      concurrency: concurrencyText(worker),
      startedAt: worker.startedAt,
      heartbeatMs: ctx.config.worker.heartbeatMs,
      lockDurationMs: ctx.config.worker.lockDurationMs,
      maxStalledCount: ctx.config.worker.maxStalledCount,
      shutdownTimeoutMs: ctx.config.worker.shutdownTimeoutMs,
      prefix: `{${ctx.config.prefix}}`,
    },
  };
}

export function workerPage(ctx: WebContext) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const name = String(req.params.name);
      const detail = await loadWorker(ctx, name);
      if (!detail) return sendError(req, res, 404, 'Unknown worker', `No worker named ${name} was seen in the last 31 days.`);
      res.render('flower/worker', { title: `Worker ${name}`, section: 'workers', ...detail, refresh: 10 });
    } catch (error) {
      next(error);
    }
  };
}

export function workerApi(ctx: WebContext) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const name = String(req.params.name);
      const detail = await loadWorker(ctx, name);
      if (!detail) return res.status(404).json({ error: `No worker named ${name}`, status: 404 });
      res.set('Cache-Control', 'no-store').json(detail);
    } catch (error) {
      next(error);
    }
  };
}
