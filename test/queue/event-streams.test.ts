// A queue's event stream closed after its last waiter while Redis is killed or hung: the close waits for nothing, and its connection never reconnects.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { connectClient, type TaskClient } from '../../src/queue/client.js';

describe("a queue's event stream closed while Redis is away", () => {
  const started: { redis: TestRedis; client: TaskClient }[] = [];
  after(async () => {
    for (const { redis, client } of started) {
      redis.thaw();
      await client.close();
      await redis.stop();
    }
  });

  for (const fault of ['killed', 'hung'] as const) {
    test(`Redis ${fault}: the idle stream is closed at once; another, still waited on, reconnects; the closed one never does`, async () => {
      const redis = await startRedis();
      const client = await connectClient(testConfig(redis.url));
      started.push({ redis, client });
      client.eventsIdleMs = 100;
      /** A stream waited on, its connection, and how often that connection tried to reconnect from now on. */
      const open = async (queue: string) => {
        const waiter = client.waitOnEvents(queue);
        await waiter.events.waitUntilReady();
        const connection = (await waiter.events.client) as unknown as Redis;
        const tries = { count: 0 };
        connection.on('reconnecting', () => tries.count++);
        return { ...waiter, connection, tries };
      };
      const idle = await open('celery');
      const kept = await open('superevent');

      if (fault === 'killed') await redis.kill();
      else redis.freeze();
      const releasedAt = Date.now();
      idle.release();
      await eventually(async () => idle.events.closing !== undefined, 5000, 'the idle stream to be closed');
      assert.ok(Date.now() - releasedAt < 5000, `closed ${Date.now() - releasedAt} ms after its last waiter left`);
      const triesAtClose = idle.tries.count;

      if (fault === 'killed') await redis.restart();
      else redis.thaw();
      // The stream still waited on reads again; by then the closed one has not tried to reconnect once.
      await eventually(async () => kept.connection.status === 'ready' && (await readers(redis)) === 1, 15_000, 'the kept stream back');
      if (fault === 'killed') assert.ok(kept.tries.count > 0, 'the kept connection retried meanwhile');
      assert.equal(idle.tries.count, triesAtClose, 'the closed stream tried to reconnect');
      assert.notEqual(idle.connection.status, 'ready');
      kept.release();
    });
  }
});

/** Connections blocked reading an event stream (XREAD), from the server's client list. */
async function readers(redis: TestRedis): Promise<number> {
  const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await probe.connect();
    return String(await probe.call('CLIENT', 'LIST'))
      .split('\n')
      .filter((line) => / cmd=xread\b/.test(line)).length;
  } catch {
    return -1;
  } finally {
    probe.disconnect();
  }
}
