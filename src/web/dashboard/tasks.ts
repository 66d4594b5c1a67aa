// Tasks pages and their JSON: one list across all queues (state tabs, search, time range, sorting, server-side pages) and a task's detail.
import type { Request, Response, NextFunction } from 'express';
import { describeJob } from '../../queue/results.js';
import { listTasks } from '../../task-index/task-list.js';
import { TaskIndex } from '../../task-index/task-index.js';
import { formatSearch, TASK_TABS, TIME_RANGES, taskQueryFrom, type RawTaskQuery, type TaskQuery } from '../../task-index/task-query.js';
import type { WebContext } from '../context.js';
import { forViewer, shownResult } from '../handlers/tasks.js';
import { rootOf } from '../middleware/url-prefix.js';
import { redactorFor } from '../../log/redact.js';
import { TASK_ID } from '../../queue/types.js';

const text = (req: Request, name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string).slice(0, 500) : undefined);

function rawQuery(req: Request): RawTaskQuery {
  const names = ['state', 'q', 'range', 'from', 'to', 'sort', 'page', 'limit'] as const;
  return Object.fromEntries(names.map((name) => [name, text(req, name)]).filter(([, value]) => value !== undefined && value !== ''));
}

/** How many tasks each tab holds: waiting / active / delayed from BullMQ, completed / failed from the index. */
async function tabCounts(ctx: WebContext, index: TaskIndex): Promise<Record<string, number>> {
  const names = await ctx.client.queueNames();
  const counts = await Promise.all(
    names.map((name) => ctx.client.queue(name).getJobCounts('waiting', 'paused', 'prioritized', 'waiting-children', 'active', 'delayed')),
  );
  const sum = (...types: string[]) => counts.reduce((total, c) => total + types.reduce((t, type) => t + (c[type] ?? 0), 0), 0);
  const { states } = await index.counts();
  const [completed, failed] = [states.get('completed') ?? 0, states.get('failed') ?? 0];
  const tabs: Record<string, number> = {
    waiting: sum('waiting', 'paused', 'prioritized', 'waiting-children'),
    active: sum('active'),
    delayed: sum('delayed'),
    completed,
    failed,
  };
  tabs.all = Object.values(tabs).reduce((a, b) => a + b, 0);
  return tabs;
}

/** A link to the list with some parameters changed (page reset unless given). */
export function listLink(base: string, raw: RawTaskQuery, change: Partial<RawTaskQuery>): string {
  const merged: Record<string, string | undefined> = { ...raw, page: undefined, ...change };
  const params = new URLSearchParams(
    Object.entries(merged).filter((entry): entry is [string, string] => !!entry[1] && !(entry[0] === 'page' && entry[1] === '1')),
  );
  const search = params.toString();
  return `${base}/tasks${search ? `?${search}` : ''}`;
}

function payload(query: TaskQuery, page: Awaited<ReturnType<typeof listTasks>>) {
  return {
    query: { state: query.tab, q: formatSearch(query.terms), from: query.from ?? null, to: query.to ?? null, sort: query.sort },
    ...page,
  };
}

export function tasksPage(ctx: WebContext, base: string) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const raw = rawQuery(req);
      const query = taskQueryFrom(raw);
      const index = new TaskIndex(ctx.redis, ctx.config);
      const started = performance.now();
      const [page, tabs] = await Promise.all([listTasks(ctx.client, index, query), tabCounts(ctx, index)]);
      res.set('Server-Timing', `list;dur=${(performance.now() - started).toFixed(1)}`);
      res.render('flower/tasks', {
        title: 'Tasks',
        section: 'tasks',
        page,
        tabs,
        tabNames: TASK_TABS,
        query,
        raw,
        ranges: TIME_RANGES,
        link: (change: Partial<RawTaskQuery>) => listLink(base, raw, change),
      });
    } catch (error) {
      next(error);
    }
  };
}

export function tasksApi(ctx: WebContext) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const query = taskQueryFrom(rawQuery(req));
      const page = await listTasks(ctx.client, new TaskIndex(ctx.redis, ctx.config), query);
      res.set('Cache-Control', 'no-store').json(payload(query, page));
    } catch (error) {
      next(error);
    }
  };
}

const ID = TASK_ID;

export function taskApi(ctx: WebContext) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const id = String(req.params.id);
      const job = ID.test(id) ? await ctx.client.findJob(id) : undefined;
      if (!job)
        return res
          .status(404)
          .json({ error: `No task with ID ${id}: it was never submitted, or it was removed after its retention time.`, status: 404 });
      const info = forViewer(req, await describeJob(ctx.client, job));
      const root = rootOf(req);
      // What the task carried and gave (arguments, result, error, stack): redacted as the logs are.
      const shown = redactorFor(ctx.config).value({ ...info, result: shownResult(info, root) });
      res.set('Cache-Control', 'no-store').json({ ...shown, url: `${root}/tasks/${id}` });
    } catch (error) {
      next(error);
    }
  };
}

/** {base}/tasks/:id → the console's task page, where every row links. */
export function taskRedirect(req: Request, res: Response): void {
  const id = String(req.params.id);
  res.redirect(302, `/tasks/${encodeURIComponent(ID.test(id) ? id : '')}`);
}
