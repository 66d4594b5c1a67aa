// Control actions shared by `gwqueue control` and the `events` screen: pause/resume a queue, cancel or retry a task, command workers; each one audited.
import type { Config } from '../config/index.js';
import type { TaskClient } from '../queue/client.js';
import { liveWorkers } from '../queue/heartbeats.js';
import { UnknownTaskIdError } from '../queue/async-result.js';
import { writeAudit, type AuditOutcome } from '../audit/audit-log.js';
import { sendControl, type SendResult } from '../control/control-client.js';
import type { WorkerAction } from '../control/control-protocol.js';
import type { Operator } from '../audit/cli-operator.js';

export { cliOperator, type Operator } from '../audit/cli-operator.js';

export interface ActionOutcome {
  ok: boolean;
  message: string;
  /** Why it was not done: 'state' when the task's state forbids it. */
  refused?: 'state';
  taskId?: string;
  data?: Record<string, unknown>;
}

async function audit(client: TaskClient, config: Config, operator: Operator, action: string, fields: Record<string, unknown>, outcome: AuditOutcome, detail: string, taskId: string | null = null) {
  await writeAudit(client.redis, config, { user: operator.user, address: operator.address, action: `control.${action}`, fields, taskId, outcome, detail });
}

/** Live workers that consume a queue (and are not shutting down). */
export async function consumersOf(client: TaskClient, config: Config, queue: string): Promise<string[]> {
  return (await liveWorkers(client.redis, config)).filter((w) => w.info.status === 'online' && w.info.queues.includes(queue)).map((w) => w.name);
}

/** BullMQ's queue-level pause: every worker stops taking tasks from it (active ones finish); tasks keep arriving and wait. */
export async function setQueuePaused(client: TaskClient, config: Config, queue: string, paused: boolean, operator: Operator): Promise<ActionOutcome> {
  const q = client.queue(queue);
  const was = await q.isPaused();
  if (paused) await q.pause();
  else await q.resume();
  const consumers = await consumersOf(client, config, queue);
  const who = `${consumers.length} worker${consumers.length === 1 ? '' : 's'} consume${consumers.length === 1 ? 's' : ''} it${consumers.length ? ` (${consumers.join(', ')})` : ''}`;
  const message = paused
    ? `queue ${queue} ${was ? 'was already paused' : 'paused'}: no worker takes new tasks from it until "control resume ${queue}"; ${who}`
    : `queue ${queue} ${was ? 'resumed' : 'was not paused'}; ${who}`;
  await audit(client, config, operator, paused ? 'pause' : 'resume', { queue }, 'accepted', message);
  return { ok: true, message, data: { queue, paused, wasPaused: was, consumers } };
}

/** Removes a task that has not started (waiting, delayed, or a chain waiting for its steps). A running task cannot be removed. */
export async function cancelTask(client: TaskClient, config: Config, id: string, operator: Operator): Promise<ActionOutcome> {
  const job = await client.findJob(id);
  if (!job) {
    await audit(client, config, operator, 'cancel', { task: id }, 'rejected', 'no such task', id);
    throw new UnknownTaskIdError(id);
  }
  const state = await job.getState();
  let outcome: ActionOutcome;
  if (state === 'active') {
    outcome = { ok: false, refused: 'state', message: `task ${id} (${job.name}) is running on ${job.processedBy ?? 'a worker'}: a running task cannot be cancelled; it will finish or fail on its own` };
  } else if (state === 'completed' || state === 'failed') {
    outcome = { ok: false, refused: 'state', message: `task ${id} (${job.name}) has already ${state}; nothing to cancel` };
  } else {
    try {
      await job.remove();
      outcome = { ok: true, message: `cancelled task ${id} (${job.name}), which was ${state}` };
    } catch (error) {
      // It started meanwhile, or a step of its chain is running: BullMQ refuses to remove a locked job.
      outcome = { ok: false, refused: 'state', message: `task ${id} (${job.name}) could not be cancelled: ${(error as Error).message}` };
    }
  }
  await audit(client, config, operator, 'cancel', { task: id, state }, outcome.ok ? 'accepted' : 'rejected', outcome.message, id);
  return { ...outcome, taskId: id, data: { state } };
}

/** Runs a finished task again with the same arguments, as a new task (a linear chain as a whole). */
export async function retryTask(client: TaskClient, config: Config, id: string, operator: Operator): Promise<ActionOutcome> {
  const job = await client.findJob(id);
  if (!job) {
    await audit(client, config, operator, 'retry', { task: id }, 'rejected', 'no such task', id);
    throw new UnknownTaskIdError(id);
  }
  const state = await job.getState();
  if (state !== 'failed' && state !== 'completed') {
    const message = `task ${id} (${job.name}) is ${state}: only a finished task can be retried`;
    await audit(client, config, operator, 'retry', { task: id, state }, 'rejected', message, id);
    return { ok: false, refused: 'state', message, taskId: id };
  }
  const { resubmit } = await import('../queue/resubmit.js');
  const handle = await resubmit(client, id, { submittedBy: `${operator.user}@${operator.address.replace(/^cli@/, '')} (cli)` });
  const message = `retried task ${id} (${job.name}, ${state}) as new task ${handle.id}`;
  await audit(client, config, operator, 'retry', { task: id, state, newTask: handle.id }, 'accepted', message, handle.id);
  return { ok: true, message, taskId: handle.id, data: { previous: id, state } };
}

/** Sends a command to workers and audits what came back. */
export async function commandWorkers(
  client: TaskClient,
  config: Config,
  options: { action: WorkerAction; destination?: string[]; args?: Record<string, unknown>; timeoutMs: number },
  operator: Operator,
): Promise<SendResult> {
  const result = await sendControl(client.redis, config, { ...options, sender: `${operator.user}@${operator.address}` });
  if (options.action !== 'ping') {
    const failed = result.replies.filter((r) => !r.ok);
    const outcome: AuditOutcome = result.missing.length || !result.replies.length ? 'unavailable' : failed.length ? 'error' : 'accepted';
    const detail = [
      ...result.replies.map((r) => `${r.worker}: ${r.ok ? 'ok' : 'error'}: ${r.message}`),
      ...result.missing.map((name) => `no reply from ${name}`),
    ].join('; ') || 'no worker replied';
    await audit(client, config, operator, options.action, { workers: options.destination ?? 'all', ...options.args }, outcome, detail);
  }
  return result;
}
