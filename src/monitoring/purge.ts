// `gwqueue purge`: counts and removes the tasks waiting in queues (not delayed, running or finished ones); audited.
import type { Config } from '../config/index.js';
import type { TaskClient } from '../queue/client.js';
import { writeAudit } from '../audit/audit-log.js';
import type { Operator } from './control-actions.js';

/** Tasks ready to run and not started, per queue: the wait and paused lists and the prioritized set. */
export async function waitingCounts(client: TaskClient, queues: string[]): Promise<Record<string, number>> {
  const counts = await Promise.all(queues.map(async (queue) => {
    const c = await client.queue(queue).getJobCounts('wait', 'paused', 'prioritized');
    return [queue, (c.wait ?? 0) + (c.paused ?? 0) + (c.prioritized ?? 0)] as const;
  }));
  return Object.fromEntries(counts);
}

/** Removes them (BullMQ's drain, which also detaches them from their chains) and returns how many each queue had. */
export async function purgeQueues(client: TaskClient, config: Config, queues: string[], operator: Operator): Promise<Record<string, number>> {
  const removed = await waitingCounts(client, queues);
  await Promise.all(queues.map((queue) => client.queue(queue).drain(false)));
  const total = Object.values(removed).reduce((a, b) => a + b, 0);
  await writeAudit(client.redis, config, {
    user: operator.user, address: operator.address, action: 'control.purge', fields: { queues: queues.join(',') },
    taskId: null, outcome: 'accepted', detail: `removed ${total} waiting task${total === 1 ? '' : 's'} (${queues.map((q) => `${q}: ${removed[q]}`).join(', ')})`,
  });
  return removed;
}
