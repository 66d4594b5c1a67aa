// Celery's canvas on BullMQ flows: signatures, chain() and group() become trees of parent/child jobs.
import { createHash, randomUUID } from 'node:crypto';
import type { FlowJob, JobsOptions } from 'bullmq';
import { CanvasError } from './errors.js';
import { getTask } from './registry.js';
import type { ApplyOptions, Canvas, Chain, Group, JobData, JobMeta, PredecessorMode, Signature, StepRef } from './types.js';

export type { ApplyOptions, Signature, Chain, Group, Canvas, StepRef, JobData } from './types.js';

/** Runs steps one after another; each mutable step gets its predecessor's result as first argument. */
export function chain(...steps: Canvas[]): Chain {
  if (steps.length === 0) throw new CanvasError('a chain needs at least one step');
  return { kind: 'chain', steps };
}

/** Runs members in parallel; a following chain step gets the list of their results, in order. */
export function group(...members: Canvas[]): Group {
  if (members.length === 0) throw new CanvasError('a group needs at least one member');
  return { kind: 'group', members };
}

/** Internal task that turns a stand-alone group's results into one ordered list. */
export const GROUP_RESULTS_TASK = 'gwqueue.canvas.group_results';

export interface BuildContext {
  submittedBy?: string;
  now: number;
  jobOptions(taskName: string): JobsOptions;
  /** The task's own attempts for transient errors other than Redis trouble (recorded in its meta). */
  attempts?(taskName: string): number;
  /**
   * The ID the canvas's root (the task the operator sees) must have, chosen before enqueueing (an idempotency claim
   * records it). Every other step's ID is then derived from it, so that enqueueing the same canvas again adds nothing:
   * BullMQ keeps one job per ID.
   */
  rootId?: string;
  /** Set by buildFlow: the next step's ID. */
  newId?: () => string;
}

/** A UUID-shaped ID derived from the root's: the n-th step of a canvas gets the same ID each time it is built. */
function derivedId(rootId: string, n: number): string {
  const hex = createHash('sha256').update(`${rootId}:${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function flatten(canvas: Canvas): Canvas[] {
  return canvas.kind === 'chain' ? canvas.steps.flatMap(flatten) : [canvas];
}

function parseTime(value: string | Date, option: string): number {
  const time = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(time)) throw new CanvasError(`${option} "${String(value)}" is not an ISO date-time`);
  return time;
}

function timing(options: ApplyOptions, now: number): { delay?: number; expiresAt?: number } {
  const out: { delay?: number; expiresAt?: number } = {};
  if (options.countdown !== undefined) {
    if (!Number.isFinite(options.countdown) || options.countdown < 0) throw new CanvasError('countdown must be a number of seconds ≥ 0');
    out.delay = Math.round(options.countdown * 1000);
  }
  if (options.eta !== undefined) out.delay = Math.max(0, parseTime(options.eta, 'eta') - now);
  if (options.expires !== undefined) {
    out.expiresAt = typeof options.expires === 'number' ? now + options.expires * 1000 : parseTime(options.expires, 'expires');
  }
  return out;
}

interface Built {
  flow: FlowJob;
  steps: StepRef[];
}

/** Builds the BullMQ flow tree for a canvas; validates every step's task name and arguments first. */
export function buildFlow(canvas: Canvas, given: BuildContext): { root: FlowJob; rootId: string; steps: StepRef[] } {
  const rootId = given.rootId ?? randomUUID();
  let steps = 0;
  const context: BuildContext = { ...given, newId: given.rootId ? () => derivedId(rootId, ++steps) : randomUUID };
  const elements = flatten(canvas);
  const built =
    elements.length === 1 && elements[0].kind === 'group'
      ? buildGroupAlone(elements[0], rootId, context)
      : buildSequence(elements, rootId, rootId, context);
  // Every job learns the whole chain so that any step's page can show its siblings.
  const stamp = (flow: FlowJob) => {
    (flow.data as JobData).meta.steps = built.steps;
    flow.children?.forEach(stamp);
  };
  stamp(built.flow);
  return { root: built.flow, rootId, steps: built.steps };
}

function signatureJob(sig: Signature, id: string, rootId: string, predecessor: PredecessorMode, context: BuildContext): FlowJob {
  const task = getTask(sig.task);
  task.bind(sig.args, sig.kwargs, { leadingUnknown: predecessor !== 'none' });
  const { delay, expiresAt } = timing(sig.options, context.now);
  const meta: JobMeta = { submittedAt: context.now, submittedBy: context.submittedBy, predecessor, rootId };
  if (expiresAt !== undefined) meta.expiresAt = expiresAt;
  const attempts = context.attempts?.(task.name);
  if (attempts !== undefined) meta.attempts = attempts;
  const data: JobData = { args: sig.args, kwargs: sig.kwargs, meta };
  return {
    name: task.name,
    queueName: sig.options.queue ?? task.queue,
    data,
    opts: { ...context.jobOptions(task.name), jobId: id, ...(delay ? { delay } : {}) },
  };
}

function asChild(flow: FlowJob): FlowJob {
  return { ...flow, opts: { ...flow.opts, failParentOnFailure: true } };
}

function buildSequence(elements: Canvas[], lastId: string, rootId: string, context: BuildContext): Built {
  const last = elements[elements.length - 1];
  const prefix = elements.slice(0, -1);
  if (last.kind === 'group') {
    if (prefix.length > 0) throw new CanvasError('a group may only start a chain (a group after another step is not supported)');
    return buildGroupAlone(last, lastId, context);
  }
  if (last.kind !== 'signature') throw new CanvasError('unexpected nested chain');
  if (prefix.length === 0) {
    const flow = signatureJob(last, lastId, rootId, 'none', context);
    return { flow, steps: [{ id: lastId, task: flow.name, queue: flow.queueName }] };
  }
  const before = prefix[prefix.length - 1];
  if (before.kind === 'group') {
    if (prefix.length > 1) throw new CanvasError('a group may only start a chain (a group after another step is not supported)');
    const members = before.members.map((member) => buildSequence(flatten(member), context.newId!(), rootId, context));
    const mode: PredecessorMode = last.immutable ? 'none' : 'list';
    const flow = signatureJob(last, lastId, rootId, mode, context);
    flow.children = members.map((member) => asChild(member.flow));
    (flow.data as JobData).meta.childOrder = members.map((member) => member.flow.opts!.jobId!);
    return { flow, steps: [...members.flatMap((member) => member.steps), { id: lastId, task: flow.name, queue: flow.queueName }] };
  }
  const previous = buildSequence(prefix, context.newId!(), rootId, context);
  const flow = signatureJob(last, lastId, rootId, last.immutable ? 'none' : 'single', context);
  flow.children = [asChild(previous.flow)];
  return { flow, steps: [...previous.steps, { id: lastId, task: flow.name, queue: flow.queueName }] };
}

function buildGroupAlone(groupCanvas: Group, id: string, context: BuildContext): Built {
  const members = groupCanvas.members.map((member) => buildSequence(flatten(member), context.newId!(), id, context));
  const collector = signatureJob(
    { kind: 'signature', task: GROUP_RESULTS_TASK, args: [], kwargs: {}, options: {}, immutable: false },
    id,
    id,
    'list',
    context,
  );
  collector.children = members.map((member) => asChild(member.flow));
  (collector.data as JobData).meta.childOrder = members.map((member) => member.flow.opts!.jobId!);
  return {
    flow: collector,
    steps: [...members.flatMap((member) => member.steps), { id, task: GROUP_RESULTS_TASK, queue: collector.queueName }],
  };
}
