// Reads a task's state, result, error and chain steps by ID: the shape behind `result`, /tasks/<id> and /api/tasks/<id>.
import type { Job } from 'bullmq';
import type { JobData, StepRef } from './types.js';
import type { JobSource } from './types.js';

export type TaskState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'waiting-children' | 'prioritized' | 'unknown';

export const FINISHED_STATES: readonly TaskState[] = ['completed', 'failed'];

export interface StepInfo extends StepRef {
  state: TaskState;
  error: string | null;
}

export interface TaskInfo {
  id: string;
  name: string;
  queue: string;
  state: TaskState;
  args: unknown[];
  kwargs: Record<string, unknown>;
  result: unknown;
  error: { message: string; stack: string | null } | null;
  attempts: number;
  maxAttempts: number;
  submittedBy: string | null;
  submittedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  runtimeMs: number | null;
  worker: string | null;
  /** The canvas this task belongs to (its last job's ID), and every step in execution order. */
  rootId: string;
  steps: StepInfo[];
}

const iso = (ms: number | undefined | null) => (ms ? new Date(ms).toISOString() : null);

async function stateOf(client: JobSource, step: StepRef): Promise<StepInfo> {
  const job = await client.findJobIn(step.queue, step.id);
  if (!job) return { ...step, state: 'unknown', error: null };
  const state = (await job.getState()) as TaskState;
  return { ...step, state, error: state === 'failed' ? (job.failedReason ?? null) : null };
}

const CHILD_FAILED = /^child .* failed/;

/** For a chain, names the step that failed (BullMQ's own reason on the later steps is only "child … failed"). */
function explainFailure(job: Job, steps: StepInfo[]): string {
  const reason = job.failedReason ?? 'failed';
  if (steps.length < 2) return reason;
  const index = steps.findIndex((step) => step.state === 'failed' && step.error && !CHILD_FAILED.test(step.error));
  if (index < 0) return reason;
  const step = steps[index];
  return `step ${index + 1} of ${steps.length} (${step.task}) failed: ${step.error}`;
}

/** `knownState`: the job's state when the caller read it together with the job (saves a round trip). */
export async function describeJob(client: JobSource, read: Job, knownState?: TaskState): Promise<TaskInfo> {
  const state = knownState ?? ((await read.getState()) as TaskState);
  // The job was read before its state: when it finished in between, read it again, so that the result (or the reason
  // it failed) goes with the state instead of a "completed" with no result.
  const job =
    (state === 'completed' || state === 'failed') && !read.finishedOn ? ((await client.findJobIn(read.queueName, read.id!)) ?? read) : read;
  const data = (job.data ?? {}) as Partial<JobData>;
  const meta = data.meta;
  const stepRefs = meta?.steps ?? [{ id: job.id!, task: job.name, queue: job.queueName }];
  const steps =
    stepRefs.length > 1
      ? await Promise.all(stepRefs.map((step) => stateOf(client, step)))
      : [{ ...stepRefs[0], state, error: job.failedReason ?? null }];
  const failed = state === 'failed';
  return {
    id: job.id!,
    name: job.name,
    queue: job.queueName,
    state,
    args: data.args ?? [],
    kwargs: data.kwargs ?? {},
    result: state === 'completed' ? (job.returnvalue ?? null) : null,
    error: failed
      ? { message: explainFailure(job, steps), stack: job.stacktrace?.length ? job.stacktrace[job.stacktrace.length - 1] : null }
      : null,
    // Runs started, including one cut short by a worker that died (BullMQ counts those in attemptsStarted only).
    attempts: Math.max(job.attemptsMade, job.attemptsStarted ?? 0),
    maxAttempts: meta?.attempts ?? job.opts.attempts ?? 1,
    submittedBy: meta?.submittedBy ?? null,
    submittedAt: iso(meta?.submittedAt ?? job.timestamp),
    startedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
    runtimeMs: job.processedOn && job.finishedOn ? job.finishedOn - job.processedOn : null,
    worker: job.processedBy ?? null,
    rootId: meta?.rootId ?? job.id!,
    steps,
  };
}

/** The task's info, or undefined when no queue holds that ID (never existed, or trimmed after its retention). */
export async function getTaskInfo(client: JobSource, id: string): Promise<TaskInfo | undefined> {
  const job = await client.findJob(id);
  return job ? describeJob(client, job) : undefined;
}
