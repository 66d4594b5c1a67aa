// Every command keeps its time limit with Redis hung (SIGSTOP) or refusing: `nagios -t N` within N + 0.5 s with CRITICAL, and status/result/inspect exit 69 with one line within their bound.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/engine.js';
import { runCli } from '../helpers/cli.js';

describe('command deadlines with Redis hung', () => {
  let redis: TestRedis;
  let env: Record<string, string>;
  before(async () => {
    redis = await startRedis();
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: testConfig(redis.url).prefix, GWQUEUE_ENV: 'test' };
    redis.freeze();
  });
  after(async () => {
    redis?.thaw();
    await redis?.stop();
  });

  async function timed(args: string[]) {
    const started = Date.now();
    const result = await runCli(args, env, { timeoutMs: 30_000 });
    return { ...result, seconds: (Date.now() - started) / 1000 };
  }

  test('nagios -t 2: CRITICAL "No connection to broker", exit 2, within 2.5 s of its start', async (t) => {
    const result = await timed(['nagios', '-t', '2']);
    t.diagnostic(`figures: ${JSON.stringify({ command: 'nagios -t 2', exit: result.code, seconds: result.seconds, bound: 2.5 })}`);
    assert.equal(result.code, 2, result.stdout);
    assert.match(result.stdout, /^CRITICAL.*No connection to broker/);
    assert.ok(result.seconds <= 2.5, `took ${result.seconds} s`);
  });

  // The documented bound: REDIS_CONNECT_TIMEOUT_MS (3 s) from process start, + 0.5 s to print and leave.
  for (const args of [['status'], ['result', '00000000-0000-4000-8000-000000000000'], ['inspect', 'ping']]) {
    test(`${args[0]}: one line, exit 69, within 3.5 s`, async (t) => {
      const result = await timed(args);
      t.diagnostic(`figures: ${JSON.stringify({ command: args.join(' '), exit: result.code, seconds: result.seconds, bound: 3.5 })}`);
      assert.equal(result.code, 69, `${result.stdout}\n${result.stderr}`);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.ok(result.seconds <= 3.5, `took ${result.seconds} s`);
    });
  }
});
