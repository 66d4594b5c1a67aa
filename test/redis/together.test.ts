// sentTogether against a real redis-server: the commands leave the socket in one write, each gets its own answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { sentTogether } from '../../src/redis/together.js';

let server: TestRedis;
before(async () => (server = await startRedis()));
after(() => server.stop());

/** Counts the writes the socket makes (a stream's implementer methods: _write for one chunk, _writev for several). */
function countWrites(socket: Writable): { single: number; batched: number[] } {
  const seen = { single: 0, batched: [] as number[] };
  const target = socket as Writable & { _write: Writable['_write']; _writev?: NonNullable<Writable['_writev']> };
  const write = target._write.bind(socket);
  const writev = target._writev?.bind(socket);
  target._write = (chunk, encoding, callback) => {
    seen.single++;
    write(chunk, encoding, callback);
  };
  if (writev)
    target._writev = (chunks, callback) => {
      seen.batched.push(chunks.length);
      writev(chunks, callback);
    };
  return seen;
}

test('commands issued together leave in one write and each gets its own answer', async () => {
  const redis = new Redis(server.url, { lazyConnect: true });
  try {
    await redis.connect();
    await redis.hset('event:G1', { graceid: 'G1', far: '1e-9' });
    await redis.zadd('event:G1:labels', 0, 'EM_READY');
    const writes = countWrites(redis.stream as Writable);
    const [hash, labels] = await Promise.all(
      sentTogether(redis, () => [redis.hgetall('event:G1'), redis.zrange('event:G1:labels', 0, -1)]),
    );
    assert.deepEqual(hash, { graceid: 'G1', far: '1e-9' });
    assert.deepEqual(labels, ['EM_READY']);
    assert.deepEqual(writes, { single: 0, batched: [2] }, 'one write of both commands');
  } finally {
    redis.disconnect();
  }
});

test('a connection that is not ready yet queues the commands itself: they are sent once it is, answers intact', async () => {
  const redis = new Redis(server.url, { lazyConnect: true });
  try {
    const sent = sentTogether(redis, () => [redis.set('k', 'v'), redis.get('k')]);
    assert.notEqual(redis.status, 'ready');
    assert.deepEqual(await Promise.all(sent), ['OK', 'v']);
  } finally {
    redis.disconnect();
  }
});
