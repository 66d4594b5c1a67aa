// A task attempt that fails while Redis fails over (src/worker/processor.ts + src/redis/failover-watch.ts) is retried; the same failure with no failover is final.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { defineTask } from '../../src/queue/registry.js';
import { GraceDbNotFoundError } from '../../src/gracedb/index.js';
import { failoverEpoch, followSwitch } from '../../src/redis/failover-watch.js';

// What a task sees when its read reached a new master that lacks a write the old one had answered: a "not found".
const readsAfterSwitch = defineTask({
  name: 'test.failover.reads_after_switch',
  queue: 'alpha',
  description: 'on its first attempt the Sentinels announce a new master mid-run, then its read finds nothing',
  params: { failover: z.boolean() },
  async run({ failover }, ctx) {
    if (ctx.attempt === 1) {
      // The Sentinels' own message, as the worker's subscription hands it over (no connection is watched here).
      if (failover) followSwitch('gwqueue-test 127.0.0.1 6390 127.0.0.1 6391', 'gwqueue-test');
      throw new GraceDbNotFoundError('no file em_bright.json,0 on S1');
    }
    return `done on attempt ${ctx.attempt}`;
  },
});

describe('a failure during a Redis failover', () => {
  let engine: InProcess;

  before(async () => {
    engine = await startInProcess();
    await engine.startWorker({ queues: ['alpha'], name: 'failover-worker' });
  });
  after(async () => {
    await engine?.stop();
  });

  test('is retried when the master changed during the attempt, and final when it did not', async () => {
    const before = failoverEpoch();
    const retried = await readsAfterSwitch.delay(true);
    assert.equal(await retried.get({ timeout: 20 }), 'done on attempt 2');
    assert.ok(failoverEpoch() > before, 'the switch was counted');
    const info = await retried.info();
    assert.equal(info.state, 'completed');
    assert.equal(info.attempts, 2);

    const plain = await readsAfterSwitch.delay(false);
    await assert.rejects(plain.get({ timeout: 20 }), /no file em_bright\.json,0/);
    const failed = await plain.info();
    assert.equal(failed.state, 'failed');
    assert.equal(failed.attempts, 1, 'a not-found with no failover is final, as before');
  });
});
