// Idempotency keys under faults: a key reused for other content is a 409 (never "duplicate"), and no claim outlives a failed or unanswered enqueue: the resubmission makes the one task.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { connectClient, type TaskClient } from '../../src/queue/client.js';
import { add } from '../../src/tasks/core.js';
import { runAction, type ActionDeps, type ActionOutcome, type Actor, type OperatorAction } from '../../src/actions/pipeline.js';
import { claimKey, PENDING_GRACE_MS } from '../../src/actions/idempotency.js';
import { keyOf } from '../../src/redis/keys.js';
import { auditRecord, listAudit, writeAudit, writeAuditRecord } from '../../src/audit/audit-log.js';
import type { Config } from '../../src/config/index.js';

const robot: Actor = { user: 'robot', address: '127.0.0.1', authorized: true, via: 'token' };

describe('idempotency keys under faults', () => {
  let redis: TestRedis;
  let direct: Redis;
  let config: Config;
  let client: TaskClient;
  let deps: ActionDeps;
  /** Runs inside act, just before the enqueue: the fault of the moment. */
  let beforeEnqueue: (() => Promise<void>) | undefined;
  /** Runs inside act, just after the enqueue was answered. */
  let afterEnqueue: (() => Promise<void>) | undefined;
  const figures = { requests: 0, accepted: 0, duplicates: 0, conflicts: 0, unavailable: 0 };

  /** An action like a form's: fields in, one enqueued task out (the core `add` task stands for the form's chain). */
  const submitAdd: OperatorAction<{ x: number; y: number }> = {
    name: 'form.idempotency_test',
    title: 'Add',
    forbidden: 'add',
    confirm: false,
    once: 'Idempotency-Key',
    input: z.object({ x: z.coerce.number(), y: z.coerce.number() }),
    async prepare(_deps, value) {
      return { value, fields: value, description: 'add' };
    },
    async act(actDeps, prepared) {
      await beforeEnqueue?.();
      const { id } = await actDeps.client.apply(add.s(prepared.value.x, prepared.value.y));
      await afterEnqueue?.();
      return { message: `queued ${id}`, taskId: id, enqueued: true };
    },
    doc: { rule: 'a test action', audited: 'x and y' },
  };

  async function submit(key: string, input: Record<string, unknown>, actor: Actor = robot): Promise<ActionOutcome | Error> {
    figures.requests++;
    try {
      const outcome = await runAction(deps, submitAdd, { actor, entry: 'test', input, confirmed: true, idempotencyKey: key });
      if (outcome.kind === 'done') figures.accepted++;
      if (outcome.kind === 'duplicate') figures.duplicates++;
      if (outcome.kind === 'conflict') figures.conflicts++;
      return outcome;
    } catch (error) {
      figures.unavailable++;
      return error as Error;
    }
  }

  /** Every job of the `add` queue, whatever its state. */
  const jobs = async () =>
    (await client.queue(add.queue).getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'])).map((j) => j.id);

  before(async () => {
    redis = await startRedis({ appendOnly: true });
    config = testConfig(redis.url, { REDIS_COMMAND_TIMEOUT_MS: '500' });
    direct = new Redis(redis.url, { maxRetriesPerRequest: null });
    direct.on('error', () => {});
    client = await connectClient(config);
    deps = {
      client,
      config,
      redis: client.redis,
      taskIndex: { remove: async () => 0 },
      control: { send: async () => ({ replies: [], missing: [] }) },
    };
  });
  after(async () => {
    await client?.close();
    direct?.disconnect();
    await redis?.stop();
  });

  test('a key reused with other content answers 409 with the first task and what differed; the same content is a duplicate', async () => {
    const key = `k-${randomUUID()}`;
    const first = (await submit(key, { x: 1, y: 2 })) as ActionOutcome;
    assert.equal(first.kind, 'done');
    assert.equal(first.status, 202);
    const other = (await submit(key, { x: 1, y: 3 })) as ActionOutcome;
    assert.equal(other.kind, 'conflict');
    assert.equal(other.status, 409);
    assert.equal(other.taskId, first.taskId);
    assert.deepEqual(other.data.differs, ['y']);
    assert.match(other.message, new RegExp(`task ${first.taskId}.*differed in y`));
    const otherUser = (await submit(key, { x: 1, y: 2 }, { ...robot, user: 'someone.else' })) as ActionOutcome;
    assert.equal(otherUser.kind, 'conflict');
    assert.deepEqual(otherUser.data.differs, ['user']);
    const same = (await submit(key, { y: 2, x: 1 })) as ActionOutcome;
    assert.equal(same.kind, 'duplicate');
    assert.equal(same.taskId, first.taskId);
    assert.deepEqual(await jobs(), [first.taskId]);
  });

  test('a pending claim left by a request that died is taken over after the grace, under the claimed ID: one task', async (t) => {
    const key = `k-${randomUUID()}`;
    const claimedId = randomUUID();
    // What a console process killed between its claim and its enqueue leaves behind.
    const claim = await claimKey(client.redis, config, key, {
      purpose: { user: 'robot', action: submitAdd.name, fields: { x: 5, y: 5 } },
      taskId: claimedId,
      exists: async () => false,
    });
    assert.equal(claim.kind, 'fresh');
    const before = (await jobs()).length;
    const started = Date.now();
    // Two resubmissions at once: one takes the claim over, the other finds its task.
    const [a, b] = (await Promise.all([submit(key, { x: 5, y: 5 }), submit(key, { x: 5, y: 5 })])) as ActionOutcome[];
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(`resubmissions answered in ${seconds.toFixed(2)} s: ${a.kind}, ${b.kind}`);
    assert.deepEqual([a.kind, b.kind].sort(), ['done', 'duplicate']);
    assert.equal(a.taskId, claimedId);
    assert.equal(b.taskId, claimedId);
    assert.ok(seconds < PENDING_GRACE_MS / 1000 + 1.5, `answered in ${seconds} s`);
    assert.equal((await jobs()).length, before + 1);
  });

  test('an enqueue whose answer never came (Redis hung) lands later: the resubmission answers with that task, none is added', async (t) => {
    const key = `k-${randomUUID()}`;
    beforeEnqueue = async () => redis.freeze();
    const before = (await jobs()).length;
    const first = await submit(key, { x: 7, y: 7 });
    beforeEnqueue = undefined;
    assert.ok(first instanceof Error, 'the hung enqueue is an error');
    assert.equal((first as Error & { uncertain?: boolean }).uncertain, true, `${(first as Error).message}`);
    redis.thaw();
    await eventually(async () => (await jobs()).length === before + 1, 5000, 'the unanswered enqueue to land');
    const again = (await eventually(async () => {
      const outcome = await submit(key, { x: 7, y: 7 });
      return outcome instanceof Error ? undefined : outcome;
    }, 10_000)) as ActionOutcome;
    t.diagnostic(`resubmission: ${again.kind} ${again.taskId}`);
    assert.equal(again.kind, 'duplicate');
    assert.equal((await jobs()).length, before + 1);
    assert.ok((await jobs()).includes(again.taskId!));
  });

  test('Redis SIGKILLed mid-enqueue and restarted: resubmitting the same key makes exactly one task (never "duplicate" of nothing)', async (t) => {
    const key = `k-${randomUUID()}`;
    // The claim must survive the kill, as it does when it was written a second before.
    await direct.config('SET', 'appendfsync', 'always');
    beforeEnqueue = async () => redis.kill();
    const first = await submit(key, { x: 9, y: 9 });
    beforeEnqueue = undefined;
    assert.ok(first instanceof Error, 'the enqueue failed');
    // Refused before it was sent: known not done, so "Nothing was submitted" (not "not known").
    assert.equal((first as { uncertain?: boolean }).uncertain, false, first.message);
    await redis.restart();
    await direct.config('SET', 'appendfsync', 'everysec');
    // Its claim could not be released while Redis was down; it is once Redis is back, not left "pending" for a day.
    const claimKeyName = keyOf(config, 'submission', key);
    await eventually(async () => (await direct.get(claimKeyName)) === null, 10_000, 'the claim to be released');
    const started = Date.now();
    const again = (await eventually(async () => {
      const outcome = await submit(key, { x: 9, y: 9 });
      return outcome instanceof Error ? undefined : outcome;
    }, 15_000)) as ActionOutcome;
    t.diagnostic(`resubmission after the restart: ${again.kind} in ${((Date.now() - started) / 1000).toFixed(2)} s`);
    assert.equal(again.kind, 'done');
    assert.ok(again.taskId);
    const ids = await jobs();
    assert.equal(ids.filter((id) => id === again.taskId).length, 1);
    const once = (await submit(key, { x: 9, y: 9 })) as ActionOutcome;
    assert.equal(once.kind, 'duplicate');
    assert.equal(once.taskId, again.taskId);
  });

  test('Redis SIGKILLed just after the enqueue and restarted: the done submission keeps its key record and its audit entry, once', async (t) => {
    const key = `k-${randomUUID()}`;
    // The enqueue must survive the kill, as an answered write does with appendfsync always.
    await direct.config('SET', 'appendfsync', 'always');
    afterEnqueue = async () => redis.kill();
    const done = await submit(key, { x: 5, y: 6 });
    afterEnqueue = undefined;
    assert.ok(!(done instanceof Error), String(done));
    assert.equal(done.kind, 'done');
    const killedAt = Date.now();
    await redis.restart();
    await direct.config('SET', 'appendfsync', 'everysec');
    const record = await eventually(
      async () => {
        const raw = await direct.get(keyOf(config, 'submission', key));
        return raw?.includes('"done"') ? (JSON.parse(raw) as { id: string }) : undefined;
      },
      15_000,
      'the key record',
    );
    assert.equal(record.id, done.taskId);
    const entries = await eventually(
      async () => {
        const found = (await listAudit(direct, config, { action: 'form.idempotency_test' })).entries.filter(
          (e) => e.taskId === done.taskId && e.outcome === 'accepted',
        );
        return found.length ? found : undefined;
      },
      15_000,
      'the audit entry',
    );
    t.diagnostic(`key record and audit entry written ${((Date.now() - killedAt) / 1000).toFixed(2)} s after the kill (restart included)`);
    assert.equal(entries.length, 1);
    assert.ok((await jobs()).includes(done.taskId!));
  });

  test('an audit entry written again after a lost answer is written once', async () => {
    const record = auditRecord(config, {
      user: 'robot',
      address: '127.0.0.1',
      action: 'form.idempotency_test',
      fields: {},
      taskId: 'once',
      outcome: 'accepted',
      detail: 'd',
    });
    const first = await writeAuditRecord(direct, config, record);
    await writeAudit(direct, config, {
      user: 'robot',
      address: '127.0.0.1',
      action: 'form.idempotency_test',
      fields: {},
      taskId: 'other',
      outcome: 'accepted',
      detail: 'd',
    });
    assert.equal(await writeAuditRecord(direct, config, record, true), first);
    const entries = (await listAudit(direct, config, {})).entries.filter((e) => e.taskId === 'once');
    assert.equal(entries.length, 1);
  });

  test('figures: every key ends recorded, none is left pending', async (t) => {
    const keys = await direct.keys(`${keyOf(config, 'submission')}:*`);
    const values = await Promise.all(keys.map((k) => direct.get(k)));
    const pending = values.filter((value) => value?.includes('"pending"')).length;
    t.diagnostic(`figures: ${JSON.stringify({ ...figures, keys: keys.length, stuckPending: pending })}`);
    assert.equal(pending, 0);
  });
});
