// Actions on one task, one rule whatever the entry point: retry a failed task (once per task), cancel a task that has not started, promote a delayed task to run now.
import type { Job } from 'bullmq';
import { z } from 'zod';
import type { JobData } from '../queue/canvas.js';
import { resubmit } from '../queue/resubmit.js';
import { ActionRefusal, defineAction, submitter, type ActionDeps, type AnyAction } from './pipeline.js';
import { TASK_ID } from '../queue/types.js';

const ID = TASK_ID;

/** A task ID from a route or an argument: any text (an unknown one is "no task with ID …", 404, not bad input). */
const taskInput = z.object({ id: z.string({ error: 'is required' }) });

interface Target {
  job: Job;
  state: string;
  /** What the audit entry and the confirmation page show of it. */
  fields: { id: string; task: string; state: string };
}

/** The task named by `id`, or a not-found refusal. */
async function findTask(deps: ActionDeps, id: string): Promise<Target> {
  const job = ID.test(id) ? await deps.client.findJob(id) : undefined;
  if (!job)
    throw new ActionRefusal(
      'not-found',
      `No task with ID ${id.slice(0, 100)}: it was never submitted, or it was removed after its retention time.`,
      { id: id.slice(0, 100) },
      ID.test(id) ? id : null,
    );
  const state = await job.getState();
  return { job, state, fields: { id: job.id!, task: job.name, state } };
}

/** The task named by `id` if it is in `state`, else a refusal that says what can be done to it and what it is. */
async function taskIn(deps: ActionDeps, id: string, state: string, done: string, hint = (_state: string) => ''): Promise<Target> {
  const target = await findTask(deps, id);
  const { job } = target;
  if (target.state !== state)
    throw new ActionRefusal(
      'refused',
      `Only a ${state} task can be ${done}; task ${job.id} (${job.name}) is ${target.state}.${hint(target.state)}`,
      target.fields,
      job.id!,
    );
  return target;
}

/** The dashboard's path for a task action, its page to come back to, and `gwqueue control VERB <task_id>`. */
const dashboardPath = (verb: string) => ({
  area: 'dashboard' as const,
  path: `/tasks/:id/${verb}`,
  entry: 'dashboard',
  back: '/tasks',
  flower: true,
});

/**
 * Failed only. Retrying a completed task would do it again: for a preliminary-alert chain, send a second alert for
 * the same superevent. To do a completed thing again is a new decision, taken by submitting the form again (which
 * has its own confirmation and audit entry), not a side door. The retried task's ID is the idempotency key: a double
 * click, two operators at once, or the dashboard and the CLI together make one new task.
 */
export const retryTask = defineAction({
  name: 'task.retry',
  title: 'Retry task',
  forbidden: 'retry tasks',
  confirm: false,
  once: 'the retried task',
  input: taskInput,
  async prepare(deps, { id }) {
    const target = await taskIn(deps, id, 'failed', 'retried', (state) =>
      state === 'completed' ? ' To do it again, submit it again.' : '',
    );
    const { job, fields } = target;
    return {
      value: target,
      fields,
      description: `Run ${job.name} again with the same arguments.`,
      idempotencyKey: `retry:${job.id}`,
      taskId: job.id!,
    };
  },
  async act(deps, { value: { job } }, actor) {
    let newId: string;
    try {
      newId = (await resubmit(deps.client, job.id!, { submittedBy: submitter(actor) })).id;
    } catch (error) {
      // A step removed after its retention time, or a group: it cannot be rebuilt.
      if ((error as Error).name === 'CanvasError') throw new ActionRefusal('refused', (error as Error).message, {}, job.id!);
      throw error;
    }
    return { message: `Retried task ${job.id} (${job.name}) as task ${newId}`, taskId: newId, enqueued: true, data: { previous: job.id } };
  },
  duplicate: ({ value: { job } }, taskId) =>
    taskId
      ? `Task ${job.id} was already retried as task ${taskId}; nothing was run again.`
      : `Task ${job.id} is being retried right now; nothing was run again.`,
  web: [{ area: 'page', path: '/tasks/:id/retry', entry: 'task-page', back: '/tasks/:id', flower: true }, dashboardPath('retry')],
  button: { label: 'Retry', style: 'btn-outline-warning', states: ['failed'] },
  cli: {
    usage: 'retry <id>',
    description: 'run a failed task again with the same arguments, as a new task (once: a second retry of it answers with the first)',
  },
  doc: {
    rule: "a **failed** task only (a completed one is refused: retrying it would do it again, e.g. send a second preliminary alert; to do a completed thing again, submit the form again). Once per task: the retried task's ID is the idempotency key, so a double click, two operators, or the dashboard and the CLI together make one new task, and later retries are answered with it",
    audited: "the task, its name and state; the new task's ID",
  },
});

const CANCELLABLE = ['waiting', 'delayed', 'prioritized', 'paused', 'waiting-children'];

/**
 * A task that has not started. A step of a chain is refused: removing it alone would leave the chain waiting for a
 * step that never comes; the operator cancels the chain by its last task (the ID they were shown). The cancelled task
 * leaves the task list's index too, from every entry point.
 */
export const cancelTask = defineAction({
  name: 'task.cancel',
  title: 'Cancel task',
  forbidden: 'cancel tasks',
  confirm: true,
  once: 'state check',
  input: taskInput,
  async prepare(deps, { id }) {
    const target = await findTask(deps, id);
    const { job, state, fields } = target;
    if (state === 'active') {
      throw new ActionRefusal(
        'refused',
        `Task ${job.id} (${job.name}) is running on ${job.processedBy ?? 'a worker'}: a running task cannot be cancelled; it will finish or fail on its own.`,
        fields,
        job.id!,
      );
    }
    if (!CANCELLABLE.includes(state))
      throw new ActionRefusal('refused', `Task ${job.id} (${job.name}) has already ${state}; nothing to cancel.`, fields, job.id!);
    if (job.parentKey) {
      const rootId = (job.data as JobData).meta?.rootId;
      throw new ActionRefusal(
        'refused',
        `Task ${job.id} is a step of a chain; cancel the chain's last task ${rootId ?? '(see its page)'} instead.`,
        fields,
        job.id!,
      );
    }
    return {
      value: target,
      fields,
      description: `Remove ${job.name} (${state}) from queue ${job.queueName}: it will not run.`,
      taskId: job.id!,
    };
  },
  async act(deps, { value: { job, state } }) {
    try {
      await job.remove();
    } catch (error) {
      // It started meanwhile: BullMQ refuses to remove a locked job.
      throw new ActionRefusal('refused', `Task ${job.id} (${job.name}) could not be cancelled: ${(error as Error).message}`, {}, job.id!);
    }
    await deps.taskIndex.remove([job.id!]);
    return { message: `Cancelled task ${job.id} (${job.name}), which was ${state}`, taskId: job.id!, data: { state } };
  },
  web: [dashboardPath('cancel')],
  button: {
    label: 'Cancel',
    style: 'btn-outline-danger',
    states: ['waiting', 'delayed'],
    confirm: 'Cancel task {name} ({id})? It will not run.',
  },
  cli: {
    usage: 'cancel <id>',
    description: 'remove a task that has not started (a running task, or a step of a chain, cannot be cancelled)',
  },
  doc: {
    rule: "a task that has not started (waiting, delayed, prioritized, paused, or a chain waiting for its steps). A running or finished task is refused; a **step of a chain** is refused with the chain's last task named (cancel that one: the whole chain goes). The task leaves the task list's index too",
    audited: 'the task, its name and state',
    also: "the `events` screen's `c`",
  },
});

/**
 * A delayed task (a countdown or an eta, or a retry's back-off) made to run now: BullMQ's promote moves it to the
 * waiting tasks, where the next free worker takes it. Only a delayed one: anything else has no delay to skip.
 */
export const promoteTask = defineAction({
  name: 'task.promote',
  title: 'Run delayed task now',
  forbidden: 'run delayed tasks now',
  confirm: true,
  once: 'state check',
  input: taskInput,
  async prepare(deps, { id }) {
    const target = await taskIn(deps, id, 'delayed', 'run now');
    const { job, fields } = target;
    const due = new Date(job.timestamp + job.delay).toISOString();
    return { value: target, fields, description: `Run ${job.name} now rather than at ${due}.`, taskId: job.id! };
  },
  async act(_deps, { value: { job } }) {
    try {
      await job.promote();
    } catch (error) {
      // It became due (or was cancelled) meanwhile: BullMQ refuses to promote a job that is no longer delayed.
      throw new ActionRefusal('refused', `Task ${job.id} (${job.name}) could not be run now: ${(error as Error).message}`, {}, job.id!);
    }
    return { message: `Task ${job.id} (${job.name}) runs now: it waits for a free worker, no longer for its delay`, taskId: job.id! };
  },
  web: [dashboardPath('promote')],
  button: { label: 'Run now', style: 'btn-outline-primary', states: ['delayed'], confirm: 'Run task {name} ({id}) now, before it is due?' },
  cli: { usage: 'promote <id>', description: 'run a delayed task now rather than when it is due (a countdown, an eta, a retry back-off)' },
  doc: {
    rule: "a **delayed** task only (a countdown, an eta, or a retry's back-off): it joins the waiting tasks and runs when a worker is free; any other state is refused",
    audited: 'the task, its name and state',
  },
});

/** The task actions, in the order the docs list them. */
export const TASK_ACTIONS: readonly AnyAction[] = [retryTask, cancelTask, promoteTask];
