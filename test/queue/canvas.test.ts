// Task engine semantics on a real Redis: delay/get, chains, groups, failures, retries, lookup by ID, retention.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { z } from 'zod';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { eventually, sleep } from '../helpers/eventually.js';
import { defineTask } from '../../src/queue/registry.js';
import { chain, group } from '../../src/queue/canvas.js';
import { TransientError, TaskArgumentError, UnknownTaskError } from '../../src/queue/errors.js';
import { TaskFailedError } from '../../src/queue/async-result.js';
import { describeJob, getTaskInfo } from '../../src/queue/results.js';
import { heldTask } from '../helpers/held-task.js';
import { add, echo, sum } from '../../src/tasks/core.js';

const attemptsSeen = new Map<string, number>();

const addOnBeta = defineTask({
  name: 'test.canvas.add_on_beta',
  queue: 'beta',
  description: 'add, on another queue',
  params: { x: z.number(), y: z.number() },
  async run({ x, y }) {
    return x + y;
  },
});
const slowIdentity = defineTask({
  name: 'test.canvas.slow_identity',
  queue: 'alpha',
  description: 'returns its value after a delay',
  params: { value: z.number(), ms: z.number() },
  async run({ value, ms }) {
    // Only makes a member slower than the others; no assertion depends on how long it takes.
    await sleep(ms);
    return value;
  },
});
// Values returned by orderedIdentity, in the order its runs finished (the worker runs in this process).
const finishOrder: number[] = [];
const finished = new EventEmitter();
const orderedIdentity = defineTask({
  name: 'test.canvas.ordered_identity',
  queue: 'alpha',
  description: 'returns its value once the runs for the values in `after` have returned theirs',
  params: { value: z.number(), after: z.array(z.number()) },
  async run({ value, after }) {
    const waiting = AbortSignal.timeout(10_000);
    while (!after.every((v) => finishOrder.includes(v))) await once(finished, 'returned', { signal: waiting });
    finishOrder.push(value);
    finished.emit('returned');
    return value;
  },
});
const explode = defineTask({
  name: 'test.canvas.explode',
  queue: 'alpha',
  description: 'fails with a plain (non-transient) error',
  params: { value: z.unknown() },
  async run() {
    throw new Error('exploded on purpose');
  },
});
const flaky = defineTask({
  name: 'test.canvas.flaky',
  queue: 'alpha',
  description: 'fails transiently a given number of times, then succeeds',
  params: { key: z.string(), failures: z.number() },
  retry: { attempts: 5, backoffMs: 20 },
  async run({ key, failures }, ctx) {
    attemptsSeen.set(key, ctx.attempt);
    if (ctx.attempt <= failures) throw new TransientError(`transient failure ${ctx.attempt}`);
    return `ok after ${ctx.attempt}`;
  },
});

describe('task engine', () => {
  let engine: InProcess;

  before(async () => {
    engine = await startInProcess();
    await engine.startWorker({ queues: ['celery', 'alpha', 'beta'], name: 'canvas-worker' });
  });
  after(async () => {
    await engine?.stop();
  });

  test('delay() runs a task and get() returns its result; info records worker and timing', async () => {
    const handle = await add.delay(2, 3);
    assert.match(handle.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(await handle.get({ timeout: 10 }), 5);
    const info = await handle.info();
    assert.equal(info.state, 'completed');
    assert.equal(info.worker, 'canvas-worker');
    assert.equal(info.attempts, 1);
    assert.ok(info.runtimeMs !== null && info.runtimeMs >= 0);
    assert.deepEqual(info.args, [2, 3]);
  });

  test('a chain passes each result on as the next first argument, across queues', async () => {
    const handle = await engine.client.apply(chain(add.s(2, 2), addOnBeta.s(4), add.s(8)));
    assert.equal(await handle.get({ timeout: 10 }), 16);
    const info = await handle.info();
    assert.equal(info.steps.length, 3);
    assert.deepEqual(
      info.steps.map((step) => step.task),
      [add.name, addOnBeta.name, add.name],
    );
    assert.deepEqual(
      info.steps.map((step) => step.queue),
      ['celery', 'beta', 'celery'],
    );
    assert.ok(info.steps.every((step) => step.state === 'completed'));
    assert.equal(info.id, info.steps[2].id, 'the ID the caller sees is the last step');
  });

  test('an immutable signature ignores its predecessor', async () => {
    const handle = await engine.client.apply(chain(add.s(1, 1), add.si(5, 5)));
    assert.equal(await handle.get({ timeout: 10 }), 10);
  });

  test('a group returns its results in order, even when the first member finishes last', async () => {
    // The members finish 2, 3, 1 by construction (each waits for the ones it names), not by racing sleeps.
    const handle = await engine.client.apply(group(orderedIdentity.s(1, [2, 3]), orderedIdentity.s(2, []), orderedIdentity.s(3, [2])));
    assert.deepEqual(await handle.get({ timeout: 10 }), [1, 2, 3]);
    assert.deepEqual(finishOrder, [2, 3, 1], 'the first member did finish last');
  });

  test("a group's successor gets the list of results", async () => {
    const handle = await engine.client.apply(chain(group(add.s(1, 1), slowIdentity.s(4, 100), addOnBeta.s(3, 3)), sum.s()));
    assert.equal(await handle.get({ timeout: 10 }), 12);
  });

  test('a failing middle step fails the chain, says which step, and the last step never runs', async () => {
    const handle = await engine.client.apply(chain(add.s(1, 1), explode.s(), add.s(1)));
    await assert.rejects(handle.get({ timeout: 10 }), (error: unknown) => {
      assert.ok(error instanceof TaskFailedError);
      assert.match(error.message, /step 2 of 3 \(test\.canvas\.explode\) failed: exploded on purpose/);
      return true;
    });
    const info = await handle.info();
    assert.equal(info.state, 'failed');
    assert.deepEqual(
      info.steps.map((step) => step.state),
      ['completed', 'failed', 'failed'],
    );
    assert.equal(info.result, null);
    const middle = await getTaskInfo(engine.client, info.steps[1].id);
    assert.equal(middle?.attempts, 1, 'a plain error is not retried');
    assert.match(middle?.error?.stack ?? '', /exploded on purpose\n\s+at /);
  });

  test('a transient error is retried with backoff until it succeeds', async () => {
    const handle = await flaky.delay('retry-then-ok', 2);
    assert.equal(await handle.get({ timeout: 10 }), 'ok after 3');
    assert.equal((await handle.info()).attempts, 3);
    assert.equal(attemptsSeen.get('retry-then-ok'), 3);
  });

  test('a transient error that never stops fails after the configured attempts', async () => {
    const handle = await flaky.delay('always', 99);
    await assert.rejects(handle.get({ timeout: 10 }), /transient failure 5/);
    assert.equal((await handle.info()).attempts, 5);
  });

  test('bad arguments are refused when enqueued: nothing reaches the queue', async () => {
    const before = await engine.client.queue('celery').getJobCounts();
    await assert.rejects(add.delay('one', 2), (error: unknown) => error instanceof TaskArgumentError && /x: /.test(error.message));
    await assert.rejects(add.delay(1, 2, 3), /takes 2 positional arguments/);
    await assert.rejects(engine.client.apply(add.signature([1], { z: 2 })), /unexpected keyword argument "z"/);
    await assert.rejects(engine.client.apply(chain(add.s(1, 1), add.s('x', 'y'))), TaskArgumentError);
    assert.deepEqual(await engine.client.queue('celery').getJobCounts(), before);
  });

  test('bad arguments discovered at run time fail at once, never retried', async () => {
    const handle = await engine.client.apply(chain(echo.s('not a number'), add.s(1)));
    await assert.rejects(handle.get({ timeout: 10 }), /step 2 of 2 .*bad arguments for gwqueue\.tasks\.core\.add: x: /);
    const last = await handle.info();
    assert.equal(last.attempts, 1);
  });

  test('an unknown task name is refused with the closest names', async () => {
    await assert.rejects(
      engine.client.apply({ kind: 'signature', task: 'gwqueue.tasks.core.ad', args: [], kwargs: {}, options: {}, immutable: false }),
      (error: unknown) => error instanceof UnknownTaskError && error.suggestions.includes('gwqueue.tasks.core.add'),
    );
  });

  test('a task is found by ID alone, whatever its queue; an unknown ID is undefined', async () => {
    const handle = await addOnBeta.delay(20, 22);
    await handle.get({ timeout: 10 });
    const info = await getTaskInfo(engine.client, handle.id);
    assert.equal(info?.queue, 'beta');
    assert.equal(info?.result, 42);
    assert.equal(await getTaskInfo(engine.client, '00000000-0000-4000-8000-000000000000'), undefined);
    assert.equal(await getTaskInfo(engine.client, '../../etc/passwd'), undefined);
  });

  test('a task read while it ran and described after it finished carries its result with its state', async () => {
    const held = heldTask('test.canvas.held_for_describe');
    const handle = await held.task.delay();
    await held.holding;
    // The job's hash as a reader saw it while the task ran; its state is read after the task finished.
    const stale = await engine.client.findJob(handle.id);
    assert.equal(stale?.finishedOn, undefined);
    held.release();
    assert.equal(await handle.get({ timeout: 10 }), 'released');
    const info = await describeJob(engine.client, stale!);
    assert.deepEqual([info.state, info.result], ['completed', 'released']);
    assert.ok(info.finishedAt, 'and when it finished');
  });

  test('countdown delays a task; an expired task is not run', async () => {
    const delayed = await add.applyAsync({ args: [1, 1], countdown: 0.5 });
    assert.equal(await delayed.state(), 'delayed');
    assert.equal(await delayed.get({ timeout: 10 }), 2);
    const expired = await add.applyAsync({ args: [1, 1], countdown: 0.3, expires: 0.1 });
    await assert.rejects(expired.get({ timeout: 10 }), /expired at/);
  });
});

describe('result retention', () => {
  let engine: InProcess;
  before(async () => {
    engine = await startInProcess({ env: { GWQUEUE_RESULT_TTL: '1' } });
    await engine.startWorker({ queues: ['celery'] });
  });
  after(async () => {
    await engine?.stop();
  });

  test('finished tasks are trimmed after the retention time', async () => {
    const first = await add.delay(1, 2);
    assert.equal(await first.get({ timeout: 10 }), 3);
    assert.ok(await getTaskInfo(engine.client, first.id), 'kept right after it finished');
    // A time difference, not a race: the first result must be older than the 1 s retention when the next task
    // finishes. Under load this pause only grows, and an older result can only be more surely trimmed.
    await sleep(1500);
    // BullMQ trims old finished jobs when another job finishes.
    await (await add.delay(3, 4)).get({ timeout: 10 });
    await eventually(async () => (await getTaskInfo(engine.client, first.id)) === undefined, 5000, 'the old result to be trimmed');
  });
});
