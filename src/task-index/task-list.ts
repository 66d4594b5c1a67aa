// One task list across all queues: finished and running tasks from the task index, waiting / delayed / active ones live from BullMQ, merged, filtered, sorted and paginated.
import type { Job } from 'bullmq';
import type { TaskClient } from '../queue/client.js';
import { redactorFor, type Redactor } from '../log/redact.js';
import {
  matchesTerms,
  redactSummary,
  searchRecord,
  summarizeJob,
  TaskIndex,
  type IndexedState,
  type IndexPage,
  type IndexPageRequest,
  type TaskSummary,
} from './task-index.js';
import { effectiveState, type TaskQuery } from './task-query.js';

/** Live states read from BullMQ, and the BullMQ job types behind each. */
const LIVE_TYPES = {
  waiting: ['wait', 'paused', 'prioritized', 'waiting-children'],
  delayed: ['delayed'],
  active: ['active'],
} as const;
type LiveState = keyof typeof LIVE_TYPES;

/** Waiting, delayed and active tasks read per queue and state; a longer backlog is listed by its newest tasks only. */
export const LIVE_LIMIT = 500;

export interface TaskListPage {
  tasks: TaskSummary[];
  total: number;
  /** False when the count stopped early (very broad searches): `total` is then a lower bound. */
  exact: boolean;
  page: number;
  pages: number;
  limit: number;
  /** When BullMQ holds more waiting / delayed tasks than were read. */
  truncatedLive: boolean;
}

const BULL_STATE: Record<string, string> = {
  wait: 'waiting',
  paused: 'waiting',
  prioritized: 'waiting',
  'waiting-children': 'waiting',
  delayed: 'delayed',
  active: 'active',
};

/** Reads the live tasks of the requested states from every queue. */
async function liveTasks(
  client: TaskClient,
  states: LiveState[],
  redactor: Redactor,
): Promise<{ tasks: TaskSummary[]; truncated: boolean }> {
  const queues = await client.queueNames();
  let truncated = false;
  // One queue's states one after the other: BullMQ warns when too many calls wait on one Queue at once.
  const lists = await Promise.all(
    queues.map(async (name) => {
      const queue = client.queue(name);
      const found: TaskSummary[] = [];
      for (const type of states.flatMap((state) => LIVE_TYPES[state])) {
        const jobs = (await queue.getJobs([type], 0, LIVE_LIMIT - 1, false)) as Job[];
        if (jobs.length >= LIVE_LIMIT) truncated = true;
        found.push(...jobs.filter(Boolean).map((job) => summarizeJob(job, BULL_STATE[type], redactor)));
      }
      return found;
    }),
  );
  return { tasks: lists.flat(), truncated };
}

type Comparator = (a: TaskSummary, b: TaskSummary) => number;

function comparatorFor(sort: TaskQuery['sort']): Comparator {
  const direction = sort.startsWith('-') ? -1 : 1;
  // Byte order, as Redis orders members with equal scores.
  const bytes = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const byTime: Comparator = (a, b) => (a.submittedAt - b.submittedAt || bytes(a.id, b.id)) * direction;
  if (sort.endsWith('runtime')) return (a, b) => ((a.runtimeMs ?? -1) - (b.runtimeMs ?? -1)) * direction || byTime(a, b);
  if (sort.endsWith('name')) return (a, b) => (bytes(a.name, b.name) || b.submittedAt - a.submittedAt) * direction;
  return byTime;
}

const inWindow = (query: TaskQuery) => (task: TaskSummary) =>
  (query.from === undefined || task.submittedAt >= query.from) && (query.to === undefined || task.submittedAt <= query.to);

/** Rows the index still has as running although BullMQ moved on (a worker was killed): read their real state and repair the index. */
async function refreshStale(client: TaskClient, index: TaskIndex, rows: TaskSummary[], live: Set<string>): Promise<TaskSummary[]> {
  const stale = rows.filter((row) => (row.state === 'active' || row.state === 'retrying') && !live.has(row.id));
  if (!stale.length) return rows;
  const fresh = new Map<string, TaskSummary>();
  await Promise.all(
    stale.map(async (row) => {
      const job = await client.findJobIn(row.queue, row.id).catch(() => undefined);
      const state = job ? await job.getState() : 'unknown';
      const summary = job ? summarizeJob(job, BULL_STATE[state] ?? state, redactorFor(index.config)) : { ...row, state: 'unknown' };
      fresh.set(row.id, summary);
      if (job && (state === 'completed' || state === 'failed'))
        await index.write([{ task: summary, version: job.finishedOn ?? Date.now() }]);
    }),
  );
  return rows.map((row) => fresh.get(row.id) ?? row);
}

/**
 * An index page read beside live tasks, and how many of those live tasks the index also counted. The indexer may add a
 * running task's row while the page is read; the count is read again until it is the same before and after the page
 * (rows only ever appear), so a task that starts mid-read is counted once, not twice or not at all.
 */
async function pageBesideLive(
  index: TaskIndex,
  request: IndexPageRequest,
  liveIds: string[],
): Promise<{ page: IndexPage; duplicates: number }> {
  for (let attempt = 1; ; attempt++) {
    const before = await index.has(liveIds);
    const page = await index.page(request);
    const after = await index.has(liveIds);
    if (after.size === before.size || attempt === 3) return { page, duplicates: after.size };
  }
}

/** The page of tasks a query asks for. */
export async function listTasks(client: TaskClient, index: TaskIndex, query: TaskQuery): Promise<TaskListPage> {
  const state = effectiveState(query);
  const offset = (query.page - 1) * query.limit;
  const want = offset + query.limit;
  const compare = comparatorFor(query.sort);
  const redactor = redactorFor(index.config);
  const finish = (tasks: TaskSummary[], total: number, exact: boolean, truncatedLive: boolean): TaskListPage => ({
    tasks: tasks.map((task) => redactSummary(task, redactor)),
    total,
    exact,
    truncatedLive,
    page: query.page,
    limit: query.limit,
    pages: Math.max(1, Math.ceil(total / query.limit)),
  });

  const liveStates: LiveState[] = state === undefined ? ['waiting', 'delayed', 'active'] : state in LIVE_TYPES ? [state as LiveState] : [];
  // Sorting by runtime lists finished tasks only: waiting ones have none.
  const { tasks: live, truncated } =
    liveStates.length && !query.sort.endsWith('runtime') ? await liveTasks(client, liveStates, redactor) : { tasks: [], truncated: false };
  const liveMatches = live
    .filter(inWindow(query))
    .filter((task) => matchesTerms(searchRecord(task), query.terms))
    .sort(compare);
  const liveIds = new Set(live.map((task) => task.id));

  if (state !== undefined && state in LIVE_TYPES) {
    return finish(liveMatches.slice(offset, want), liveMatches.length, !truncated, truncated);
  }

  const indexedState = state === 'completed' || state === 'failed' || state === 'retrying' ? (state as IndexedState) : undefined;
  if (state !== undefined && !indexedState) return finish([], 0, true, false);
  // Without live tasks to merge in, the index serves the page alone. Otherwise it gives every row up to the page's end,
  // plus enough extra to drop the live tasks' own index entries (active, retrying).
  const alone = liveMatches.length === 0;
  const request = { state: indexedState, terms: query.terms, from: query.from, to: query.to, sort: query.sort };
  const { page, duplicates } = alone
    ? { page: await index.page({ ...request, skip: offset, want: query.limit }), duplicates: 0 }
    : await pageBesideLive(
        index,
        { ...request, want: want + liveIds.size },
        liveMatches.map((task) => task.id),
      );
  const indexed = page.tasks.filter((task) => !liveIds.has(task.id));
  const merged = alone ? indexed : [...liveMatches, ...indexed].sort(compare).slice(offset, want);
  const rows = await refreshStale(client, index, merged, liveIds);
  return finish(rows, page.total + liveMatches.length - duplicates, page.exact && !truncated, truncated);
}
