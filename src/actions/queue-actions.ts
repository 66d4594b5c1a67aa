// Actions on a queue: pause and resume it, clean its old finished tasks, purge the tasks waiting in it.
import { z } from 'zod';
import { liveWorkers } from '../queue/heartbeats.js';
import type { TaskClient } from '../queue/client.js';
import type { Config } from '../config/index.js';
import { ActionRefusal, defineAction, type ActionDeps, type AnyAction, type OperatorAction } from './pipeline.js';

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

const queueName = z.string({ error: 'is required' });

/** A queue this deployment knows; any other name is bad input (the known ones are listed), as a mistyped option would be. */
async function knownQueue(deps: ActionDeps, name: string): Promise<string> {
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
function pauseAction(paused: boolean): OperatorAction<{ queue: string }, string> {
  const verb = paused ? 'pause' : 'resume';
  return defineAction({
    name: paused ? 'queue.pause' : 'queue.resume',
    title: paused ? 'Pause queue' : 'Resume queue',
    forbidden: `${verb} queues`,
    confirm: paused,
    once: 'state check',
    input: z.object({ queue: queueName }),
    async prepare(deps, input) {
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
    web: [{ area: 'dashboard', path: `/queues/:queue/${verb}`, entry: 'dashboard', back: '/queues', flower: true }],
    cli: {
      usage: `${verb} <queue>`,
      description: paused
        ? 'stop every worker taking tasks from a queue (active tasks finish; new ones wait)'
        : 'let workers take tasks from a paused queue again',
    },
    doc: paused
      ? { rule: 'a known queue; workers stop taking tasks from it, running ones finish', audited: 'the queue; the consumers in the detail' }
      : { rule: 'a known queue', audited: 'the queue' },
  });
}

export const pauseQueue = pauseAction(true);
export const resumeQueue = pauseAction(false);

/** The ages the dashboard offers for cleaning (the labels are its select's options). */
export const CLEAN_AGES = { '0': 'any age', '1h': 'older than 1 hour', '1d': 'older than 1 day', '7d': 'older than 7 days' } as const;
type CleanAge = keyof typeof CLEAN_AGES;
const AGE_MS: Record<CleanAge, number> = { '0': 0, '1h': 3_600_000, '1d': 86_400_000, '7d': 7 * 86_400_000 };
const AGES = Object.keys(AGE_MS) as CleanAge[];
const BATCH = 1000;

/** Deletes a queue's failed or completed tasks of a given age, with their results, and their rows in the task list. */
export const cleanQueue = defineAction({
  name: 'queue.clean',
  title: 'Remove old tasks',
  forbidden: 'remove old tasks',
  // Destructive: results and errors are gone for good.
  role: 'admin',
  confirm: true,
  once: 'state check',
  input: z.object({
    queue: queueName,
    state: z.enum(['failed', 'completed'], { error: 'must be "failed" or "completed"' }),
    age: z.enum(AGES, { error: `must be one of ${AGES.join(', ')}` }),
  }),
  async prepare(deps, input) {
    const queue = await knownQueue(deps, input.queue);
    const { state, age } = input;
    return {
      value: { queue, state, age },
      fields: { queue, state, age },
      description: `Delete the ${state} tasks of queue ${queue} (${CLEAN_AGES[age]}), with their results and errors. This cannot be undone.`,
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
  web: [
    { area: 'dashboard', path: '/queues/clean', entry: 'dashboard', back: '/queues', flower: true },
    { area: 'dashboard', path: '/queues/:queue/clean', entry: 'dashboard', back: '/queues', flower: true },
  ],
  doc: {
    rule: 'a known queue, state `failed` or `completed`, age `0`, `1h`, `1d` or `7d`; rows leave the task index too',
    audited: 'queue, state, age; how many were removed',
  },
});

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
export const purgeQueues = defineAction({
  name: 'queue.purge',
  title: 'Purge queues',
  forbidden: 'purge queues',
  role: 'admin',
  confirm: true,
  once: 'state check',
  input: z.object({ queues: z.array(queueName).default([]) }),
  async prepare(deps, { queues: asked }) {
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
  doc: {
    rule: 'known queues; removes waiting tasks only (not delayed, running or finished ones)',
    audited: 'the queues; how many per queue',
    also: '`gwqueue purge [-Q queues] [-f]` (asks on a terminal, refused without one unless `-f`)',
  },
});

/** The queue actions, in the order the docs list them. */
export const QUEUE_ACTIONS: readonly AnyAction[] = [pauseQueue, resumeQueue, cleanQueue, purgeQueues];
