// The replica wait of a submission on a plain Redis: INFO at most about once a second while the master has no replica, a replica attached later is waited for, and from then on every submission WAITs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { connectClient, type TaskClient } from '../../src/queue/client.js';
import { confirmReplication, markReplication } from '../../src/redis/replication.js';
import type { Config } from '../../src/config/index.js';

describe('replica wait on a plain Redis', () => {
  let master: TestRedis;
  let replica: TestRedis;
  let config: Config;
  let client: TaskClient;
  let direct: Redis;
  let onReplica: Redis;

  /** How many times the master ran a command since the last CONFIG RESETSTAT. */
  const calls = async (command: string) =>
    Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await direct.info('commandstats'))?.[1] ?? 0);
  const submission = () => confirmReplication(markReplication(client.redis), config);

  before(async () => {
    [master, replica] = await Promise.all([startRedis(), startRedis()]);
    config = testConfig(master.url, { REDIS_REPLICA_WAIT_MS: '2000' });
    client = await connectClient(config);
    direct = new Redis(master.url);
    onReplica = new Redis(replica.url);
  });
  after(async () => {
    await client?.close();
    direct?.disconnect();
    onReplica?.disconnect();
    await Promise.all([master?.stop(), replica?.stop()]);
  });

  test('without a replica: answered "alone", INFO asked at most about once a second for all the submissions', async () => {
    assert.deepEqual(await submission(), { state: 'alone' });
    await direct.config('RESETSTAT');
    const started = Date.now();
    for (let i = 0; i < 200; i++) assert.deepEqual(await submission(), { state: 'alone' });
    const seconds = Math.ceil((Date.now() - started) / 1000);
    const info = (await calls('info')) - 1; // the INFO commandstats of this check
    assert.ok(info <= seconds + 1, `INFO asked ${info} times in ${seconds} s for 200 submissions`);
    assert.equal(await calls('wait'), 0);
  });

  test('a replica attached later is waited for within about a second, then by every submission', async () => {
    await onReplica.replicaof('127.0.0.1', String(master.port));
    await eventually(async () => /slave0:.*state=online/.test(await direct.info('replication')), 20_000, 'the replica online');
    const attached = Date.now();
    await eventually(async () => (await submission()).state === 'confirmed', 20_000, 'a submission confirmed by the replica');
    // The second of trust plus generous slack for a loaded machine: what matters is that it is not kept.
    assert.ok(Date.now() - attached < 10_000);
    await direct.config('RESETSTAT');
    for (let i = 0; i < 20; i++) assert.deepEqual(await submission(), { state: 'confirmed', replicas: 1 });
    assert.equal(await calls('wait'), 20, 'one WAIT per submission once a replica was seen');
    assert.ok((await calls('info')) >= 20, 'INFO asked for each submission once a replica was seen');
  });
});
