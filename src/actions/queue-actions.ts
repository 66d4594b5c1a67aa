// Actions on a queue: pause and resume it, clean its old finished tasks, purge the tasks waiting in it.
import { ACTION_NAMES } from '../audit/vocabulary.js';
import { liveWorkers } from '../queue/heartbeats.js';
import type { TaskClient } from '../queue/client.js';
import type { Config } from '../config/index.js';
import { ActionRefusal, type ActionDeps, type OperatorAction } from './pipeline.js';

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** A queue this deployment knows; any other name is bad input (the known ones are listed), as a mistyped option would be. */
async function knownQueue(deps: ActionDeps, value: unknown): Promise<string> {
  const name = String(value ?? '');
  const known = await deps.client.queueNames();
  if (!known.includes(name))
    throw new ActionRefusal('invalid', `Unknown queue "${name.slice(0, 100)}" (known: ${known.join(', ')}).`, {
      queue: name.slice(0, 100),
    });
  return name;
}

/** Live workers that consume a queue (and are not shutting down). */
export async function consumersOf(client: TaskClient, config: Config, queue: string): Promise<string[]> {
  return (await liveWorkers(client.redis, config))
    .filter((w) => w.info.status === 'online' && w.info.queues.includes(queue))
    .map((w) => w.name);
}

/** BullMQ's queue-level pause: every worker stops taking tasks from it (active ones finish); tasks keep arriving and wait. */
function pauseAction(paused: boolean): OperatorAction<string> {
  const verb = paused ? 'pause' : 'resume';
  return {
    name: paused ? ACTION_NAMES.queuePause : ACTION_NAMES.queueResume,
    title: paused ? 'Pause queue' : 'Resume queue',
    forbidden: `${verb} queues`,
    confirm: paused,
    async validate(deps, input) {
      const queue = await knownQueue(deps, input.queue);
      const description = paused
        ? `Stop every worker from taking new tasks from queue ${queue} until it is resumed. Running tasks finish.`
        : `Let workers take tasks from queue ${queue} again.`;
      return { value: queue, fields: { queue }, description };
    },
    async act(deps, { value: queue }) {
      const q = deps.client.queue(queue);
      const was = await q.isPaused();
      if (paused) await q.pause();
      else await q.resume();
      const consumers = await consumersOf(deps.client, deps.config, queue);
      const who = `${plural(consumers.length, 'worker')} consume${consumers.length === 1 ? 's' : ''} it${consumers.length ? ` (${consumers.join(', ')})` : ''}`;
      const message = paused
        ? `${was ? `Queue ${queue} was already paused` : `Paused queue ${queue}`}: no worker takes new tasks from it until it is resumed; ${who}`
        : `${was ? `Resumed queue ${queue}` : `Queue ${queue} was not paused`}; ${who}`;
      return { message, data: { queue, paused, wasPaused: was, consumers } };
    },
  };
}

export const pauseQueue = pauseAction(true);
export const resumeQueue = pauseAction(false);

/** The ages the dashboard offers for cleaning (the labels are its select's options). */
export const CLEAN_AGES = { '0': 'any age', '1h': 'older than 1 hour', '1d': 'older than 1 day', '7d': 'older than 7 days' } as const;
type CleanAge = keyof typeof CLEAN_AGES;
const AGE_MS: Record<CleanAge, number> = { '0': 0, '1h': 3_600_000, '1d': 86_400_000, '7d': 7 * 86_400_000 };
const BATCH = 1000;

/** Deletes a queue's failed or completed tasks of a given age, with their results, and their rows in the task list. */
export const cleanQueue: OperatorAction<{ queue: string; state: 'failed' | 'completed'; age: CleanAge }> = {
  name: ACTION_NAMES.queueClean,
  title: 'Remove old tasks',
  forbidden: 'remove old tasks',
  // Destructive: results and errors are gone for good.
  role: 'admin',
  confirm: true,
  async validate(deps, input) {
    const queue = await knownQueue(deps, input.queue);
    const state = String(input.state ?? '');
    const age = String(input.age ?? '');
    if (state !== 'failed' && state !== 'completed')
      throw new ActionRefusal('invalid', 'state must be "failed" or "completed".', { queue });
    if (!(age in AGE_MS)) throw new ActionRefusal('invalid', `age must be one of ${Object.keys(AGE_MS).join(', ')}.`, { queue, state });
    const label = CLEAN_AGES[age as CleanAge];
    return {
      value: { queue, state, age: age as CleanAge },
      fields: { queue, state, age },
      description: `Delete the ${state} tasks of queue ${queue} (${label}), with their results and errors. This cannot be undone.`,
    };
  },
  async act(deps, { value: { queue, state, age } }) {
    const q = deps.client.queue(queue);
    const removed: string[] = [];
    for (;;) {
      // Small batches keep each call short: Redis serves everyone else in between.
      const batch = await q.clean(AGE_MS[age], BATCH, state);
      removed.push(...batch);
      if (batch.length < BATCH) break;
    }
    for (let i = 0; i < removed.length; i += BATCH) await deps.taskIndex.remove(removed.slice(i, i + BATCH));
    return {
      message: `Removed ${plural(removed.length, `${state} task`)} (${CLEAN_AGES[age]}) from queue ${queue}`,
      data: { removed: removed.length },
    };
  },
};

/** Tasks ready to run and not started, per queue: the wait and paused lists and the prioritized set. */
export async function waitingCounts(client: TaskClient, queues: string[]): Promise<Record<string, number>> {
  const counts = await Promise.all(
    queues.map(async (queue) => {
      const c = await client.queue(queue).getJobCounts('wait', 'paused', 'prioritized');
      return [queue, (c.wait ?? 0) + (c.paused ?? 0) + (c.prioritized ?? 0)] as const;
    }),
  );
  return Object.fromEntries(counts);
}

export const sumOf = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Removes the tasks waiting in queues (BullMQ's drain, which also detaches them from their chains); not delayed, running or finished ones. */
export const purgeQueues: OperatorAction<string[]> = {
  name: ACTION_NAMES.queuePurge,
  title: 'Purge queues',
  forbidden: 'purge queues',
  role: 'admin',
  confirm: true,
  async validate(deps, input) {
    const asked = Array.isArray(input.queues) ? input.queues.map(String) : [];
    const queues = asked.length ? await Promise.all(asked.map((queue) => knownQueue(deps, queue))) : await deps.client.queueNames();
    const total = sumOf(await waitingCounts(deps.client, queues));
    return {
      value: queues,
      fields: { queues: queues.join(',') },
      description: `Remove ${plural(total, 'waiting task')} from ${queues.join(', ')}. This cannot be undone.`,
    };
  },
  async act(deps, { value: queues }) {
    const removed = await waitingCounts(deps.client, queues);
    await Promise.all(queues.map((queue) => deps.client.queue(queue).drain(false)));
    const total = sumOf(removed);
    return {
      message: `Purged ${plural(total, 'waiting task')} from ${queues.join(', ')} (${queues.map((q) => `${q}: ${removed[q]}`).join(', ')})`,
      data: { removed, total },
    };
  },
};
