// The operator's real path: POST /send_preliminary_gcn on the embedded GraceDB until the PRELIMINARY alert is in the outbox, with where the time goes.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { Job } from 'bullmq';
import { loadConfig } from '../src/config/index.js';
import { connectClient } from '../src/queue/client.js';
import { outboxKeys } from '../src/redis/keys.js';
import { startStack } from './stack.js';
import { summarize, type Row } from './stats.js';
import { seedEvent } from './web-bench.js';

export interface OperatorOptions {
  /** Counted submissions, one after another (after 5 not counted). */
  runs: number;
}

/** One submission's stages (ms): what the web did, each step's wait in its queue and its run, and the alert's place in the last one. */
interface Sample {
  total: number;
  answer: number;
  stages: Map<string, number>;
}

/** A field of an XREAD entry's flat [name, value, …] list. */
const field = (fields: string[], name: string) => fields[fields.indexOf(name) + 1];

/**
 * gwqueue as deployed (bench/stack.ts, production profile, real tasks), one mock event made first; then `runs`
 * preliminary alerts for its superevent through the API (a script's path: token, Idempotency-Key), each timed from
 * the POST until the alert is read from the outbox stream (XREAD BLOCK: no polling).
 */
export async function benchOperator(options: OperatorOptions): Promise<{ rows: Row[]; stages: Row[] }> {
  const stack = await startStack({ name: 'operator' });
  const config = loadConfig(stack.env);
  const client = await connectClient(config);
  const reader = new Redis(stack.env.REDIS_URL!, { maxRetriesPerRequest: null });
  try {
    const headers = { Authorization: `Bearer ${stack.token}`, Accept: 'application/json' };
    const body = await seedEvent(stack.base, stack.token);
    const superevent = new URLSearchParams(body).get('superevent_id');
    const stream = outboxKeys.stream(config);
    const samples: Sample[] = [];
    for (let run = 0; run < options.runs + 5; run++) {
      const [last] = (await reader.xrevrange(stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
      let from = last?.[0] ?? '0-0';
      const postedAt = Date.now();
      const start = performance.now();
      const res = await fetch(`${stack.base}/send_preliminary_gcn`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': randomUUID() },
        body,
      });
      const answer = performance.now() - start;
      const accepted = (await res.json()) as { id?: string };
      if (res.status !== 202 || !accepted.id) throw new Error(`the form was not accepted: ${res.status} ${JSON.stringify(accepted)}`);
      let alertAt: number | undefined;
      let sentAt = 0;
      while (alertAt === undefined) {
        const reply = (await reader.xread('BLOCK', 30_000, 'STREAMS', stream, from)) as [string, [string, string[]][]][] | null;
        if (!reply) throw new Error(`no alert in the outbox 30 s after task ${accepted.id}`);
        for (const [id, fields] of reply[0][1]) {
          from = id;
          if (field(fields, 'superevent_id') === superevent && field(fields, 'alert_type') === 'PRELIMINARY') {
            alertAt = performance.now() - start;
            sentAt = Number(id.split('-')[0]);
          }
        }
      }
      const root = await client.queue('kafka').getJob(accepted.id);
      if (!root) throw new Error(`task ${accepted.id} is not in the kafka queue`);
      await root.waitUntilFinished(client.events('kafka'), 30_000);
      const steps = await chainSteps(client, accepted.id);
      const stages = new Map<string, number>();
      // A job's timestamp is taken when the console builds it, just before the chain is sent to Redis.
      stages.set('web: POST until the chain is built (look-ups, checks)', steps[0].timestamp - postedAt);
      stages.set('web: enqueueing the chain, the audit entry and the answer', postedAt + answer - steps[0].timestamp);
      let ready = steps[0].timestamp;
      for (const step of steps) {
        const name = step.name.replace(/^gwqueue\.tasks\./, '');
        stages.set(`${name}: waiting in its queue`, (step.processedOn ?? ready) - ready);
        if (step === steps.at(-1)) {
          stages.set(`${name}: running until the alert is in the outbox`, sentAt - (step.processedOn ?? sentAt));
          stages.set(`${name}: the rest of its run`, (step.finishedOn ?? sentAt) - sentAt);
        } else stages.set(`${name}: running`, (step.finishedOn ?? ready) - (step.processedOn ?? ready));
        ready = step.finishedOn ?? ready;
      }
      if (run >= 5) samples.push({ total: alertAt, answer, stages });
    }
    const total = summarize(samples.map((s) => s.total));
    const answered = summarize(samples.map((s) => s.answer));
    const rows: Row[] = [
      { measure: 'POST until the PRELIMINARY alert is in the outbox', n: total.n, p50: total.p50, p95: total.p95, p99: total.p99 },
      { measure: 'POST until its answer (202)', n: answered.n, p50: answered.p50, p95: answered.p95, p99: answered.p99 },
    ];
    const names = [...samples[0].stages.keys()];
    const stages = names.map((stage) => {
      const s = summarize(samples.map((sample) => sample.stages.get(stage) ?? NaN));
      return { stage, 'p50 (ms)': s.p50, 'mean (ms)': s.mean, 'p99 (ms)': s.p99 };
    });
    return { rows, stages };
  } finally {
    reader.disconnect();
    await client.close();
    await stack.stop();
  }
}

/** The chain under `rootId`: its steps first to last, read from BullMQ (the root is the last step, each parent of the one before). */
async function chainSteps(client: Awaited<ReturnType<typeof connectClient>>, rootId: string): Promise<Job[]> {
  const steps: Job[] = [];
  let current: Job | undefined = await client.queue('kafka').getJob(rootId);
  while (current) {
    steps.unshift(current);
    const { processed = {} } = await current.getDependencies();
    const child = Object.keys(processed)[0];
    if (!child) break;
    const match = /:([^:]+):([^:]+)$/.exec(child);
    current = match ? await client.queue(match[1]).getJob(match[2]) : undefined;
  }
  return steps;
}
