// The worker side of remote control, in process: replies, destinations, concurrency, shutdown, and malformed commands ignored.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { sendControl } from '../../src/control/control-client.js';
import { liveWorkers } from '../../src/queue/heartbeats.js';
import { createRedisConnection } from '../../src/redis/connection.js';
import '../../src/tasks/core.js';
import { controlKeys } from '../../src/redis/keys.js';

describe('worker control listener', () => {
  let engine: InProcess;

  before(async () => {
    engine = await startInProcess({ env: { GWQUEUE_HEARTBEAT_MS: '100' } });
  });
  after(async () => {
    await engine?.stop();
  });

  const send = (options: Omit<Parameters<typeof sendControl>[2], 'sender' | 'timeoutMs'> & { timeoutMs?: number }) =>
    sendControl(engine.client.redis, engine.config, { timeoutMs: 2000, sender: 'test', ...options });

  test('every worker answers a broadcast ping; a named destination gets the only answer', async () => {
    await engine.startWorker({ name: 'alpha@test' });
    await engine.startWorker({ name: 'beta@test' });
    const all = await send({ action: 'ping' });
    assert.equal(all.listeners, 2);
    assert.deepEqual(
      all.replies.map((r) => [r.worker, r.ok, r.message]),
      [
        ['alpha@test', true, 'pong'],
        ['beta@test', true, 'pong'],
      ],
    );
    const one = await send({ action: 'ping', destination: ['beta@test'] });
    assert.deepEqual(
      one.replies.map((r) => r.worker),
      ['beta@test'],
    );
    assert.deepEqual(one.missing, []);
  });

  test('a worker that is not there is reported missing after the timeout', async () => {
    const started = Date.now();
    const result = await send({ action: 'ping', destination: ['ghost@test'], timeoutMs: 300 });
    assert.deepEqual(result.replies, []);
    assert.deepEqual(result.missing, ['ghost@test']);
    assert.ok(Date.now() - started >= 290);
  });

  test('concurrency: refused when out of range, applied and shown in the heartbeat otherwise', async () => {
    const bad = await send({ action: 'concurrency', destination: ['alpha@test'], args: { n: 0 } });
    assert.equal(bad.replies[0].ok, false);
    assert.match(bad.replies[0].message, /whole number from 1 to 1000/);
    const good = await send({ action: 'concurrency', destination: ['alpha@test'], args: { n: 7 } });
    assert.equal(good.replies[0].ok, true);
    assert.match(
      good.replies[0].message,
      /^concurrency set to 7 per queue \(was celery 4, em-bright 2, exttrig 1, .*superevent 1, voevent 1\)$/,
    );
    await eventually(
      async () =>
        (await liveWorkers(engine.client.redis, engine.config)).find(
          (w) => w.name === 'alpha@test' && w.info.concurrency === 7 && Object.values(w.info.queueConcurrency!).every((c) => c === 7),
        ),
      3000,
      'heartbeat with concurrency 7',
    );
  });

  test('malformed commands and foreign reply channels are ignored; the listener keeps working', async () => {
    const channel = controlKeys.channel(engine.config);
    const sub = createRedisConnection(engine.config, 'worker');
    const heard: string[] = [];
    sub.on('message', (_c: string, message: string) => heard.push(message));
    try {
      await sub.subscribe('elsewhere');
      await engine.client.redis.publish(channel, 'not json');
      await engine.client.redis.publish(
        channel,
        JSON.stringify({ id: 'x', action: 'shutdown', destination: null, replyTo: 'elsewhere', args: {} }),
      );
      await engine.client.redis.publish(
        channel,
        JSON.stringify({ id: 'y', action: 'format-disk', destination: null, replyTo: controlKeys.reply(engine.config, 'y'), args: {} }),
      );
      const ping = await send({ action: 'ping' });
      assert.equal(ping.replies.length, 2, 'both workers still answer (a shutdown with a foreign reply channel was not obeyed)');
      assert.deepEqual(heard, []);
    } finally {
      sub.disconnect();
    }
  });

  test('shutdown: the worker acknowledges, then stops itself gracefully (no hook given) and stops listening', async () => {
    const reply = await send({ action: 'shutdown', destination: ['beta@test'] });
    assert.equal(reply.replies[0].ok, true);
    assert.match(reply.replies[0].message, /shutting down/);
    await eventually(
      async () => !(await liveWorkers(engine.client.redis, engine.config)).some((w) => w.name === 'beta@test'),
      5000,
      'beta to go offline',
    );
    const beta = engine.workers.find((w) => w.name === 'beta@test')!;
    assert.equal(await beta.stop(), true, 'the stop it started was clean');
    const after = await send({ action: 'ping' });
    assert.deepEqual(
      after.replies.map((r) => r.worker),
      ['alpha@test'],
    );
    assert.equal(after.listeners, 1);
  });

  test('shutdown with an onShutdownRequest hook calls the hook and leaves stopping to its owner', async () => {
    let requested = 0;
    const worker = await engine.startWorker({ name: 'hooked@test', onShutdownRequest: () => requested++ });
    await send({ action: 'shutdown', destination: ['hooked@test'] });
    await eventually(() => requested === 1, 3000, 'the hook');
    const ping = await send({ action: 'ping', destination: ['hooked@test'] });
    assert.equal(ping.replies.length, 1, 'still running until its owner stops it');
    assert.equal(await worker.stop(), true);
  });
});
