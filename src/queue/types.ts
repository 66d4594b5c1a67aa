// The engine's shared types, a leaf that imports nothing of ours: canvas shapes, job data, and the small client
// interface that results and AsyncResult need (as BullMQ's minimal-queue.ts breaks its class cycle).
import type { Job, QueueEvents } from 'bullmq';

/**
 * A task ID as pages, APIs and commands accept it: ours are UUIDs; a schedule's firing is BullMQ's
 * `repeat:<schedule>:<slot ms>` (schedules/). Nothing else, so that an ID never names another key of a queue.
 */
export const TASK_ID = /^(?:[A-Za-z0-9_-]{1,100}|repeat:[a-z0-9-]{1,64}:\d{1,16})$/;

export interface ApplyOptions {
  queue?: string;
  /** Seconds to wait before the task may run. */
  countdown?: number;
  /** Earliest start time (ISO string or Date). */
  eta?: string | Date;
  /** Seconds from now, or an ISO time, after which the task is not run any more. */
  expires?: number | string | Date;
}

export interface Signature {
  kind: 'signature';
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: ApplyOptions;
  /** Immutable signatures ignore their predecessor's result. */
  immutable: boolean;
}
export interface Chain {
  kind: 'chain';
  steps: Canvas[];
}
export interface Group {
  kind: 'group';
  members: Canvas[];
}
export type Canvas = Signature | Chain | Group;

export interface StepRef {
  id: string;
  task: string;
  queue: string;
}

/** How a job receives its predecessors' results. */
export type PredecessorMode = 'none' | 'single' | 'list';

export interface JobMeta {
  submittedAt: number;
  submittedBy?: string;
  expiresAt?: number;
  predecessor: PredecessorMode;
  /** Child job IDs in group order, for `list` predecessors. */
  childOrder?: string[];
  /** The ID the operator sees (the canvas's last job) and all steps in execution order; set on every job. */
  rootId: string;
  steps?: StepRef[];
  /**
   * The task's own attempts for transient errors (its retry policy). The job itself may get more attempts: Redis
   * trouble is retried up to GWQUEUE_RETRY_REDIS_ATTEMPTS whatever the task's policy.
   */
  attempts?: number;
}

export interface JobData {
  args: unknown[];
  kwargs: Record<string, unknown>;
  meta: JobMeta;
}

/** What reading a task back needs from the client (TaskClient implements it). */
export interface JobSource {
  findJob(id: string): Promise<Job | undefined>;
  findJobIn(queueName: string, id: string): Promise<Job | undefined>;
  waitOnEvents(queueName: string): { events: QueueEvents; release(): void };
}
