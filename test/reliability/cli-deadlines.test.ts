// Every command keeps its time limit with Redis hung (SIGSTOP) or refusing: `nagios -t N` within N + 0.5 s with CRITICAL (N = 5 here), and status/result/inspect exit 69 with one line within their bound.
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

  // -t 5 (Nagios's default is 10): on a loaded machine Node's start alone can take 2-3 s of a shorter budget.
  test('nagios -t 5: CRITICAL "No connection to broker", exit 2, within 5.5 s of its start', async (t) => {
    const result = await timed(['nagios', '-t', '5']);
    t.diagnostic(`figures: ${JSON.stringify({ command: 'nagios -t 5', exit: result.code, seconds: result.seconds, bound: 5.5 })}`);
    assert.equal(result.code, 2, result.stdout);
    assert.match(result.stdout, /^CRITICAL.*No connection to broker/);
    assert.ok(result.seconds <= 5.5, `took ${result.seconds} s`);
  });

  // The documented bound: REDIS_CONNECT_TIMEOUT_MS (3 s) from process start, but at least 1.5 s after the command has
  // started up (a loaded machine must not give a false exit 69), + 0.5 s to print and leave. The same command against
  // a port nobody listens on fails at once: its time is this machine's start-up time right now.
  for (const args of [['status'], ['result', '00000000-0000-4000-8000-000000000000'], ['inspect', 'ping']]) {
    test(`${args[0]}: one line, exit 69, within 3.5 s (or start-up + 2 s on a slow start)`, async (t) => {
      const started = Date.now();
      const refused = await runCli(args, { ...env, REDIS_URL: 'redis://127.0.0.1:1' }, { timeoutMs: 30_000 });
      const startup = (Date.now() - started) / 1000;
      assert.equal(refused.code, 69, refused.stderr);
      const bound = Math.max(3.5, startup + 2);
      const result = await timed(args);
      t.diagnostic(`figures: ${JSON.stringify({ command: args.join(' '), exit: result.code, seconds: result.seconds, startup, bound })}`);
      assert.equal(result.code, 69, `${result.stdout}\n${result.stderr}`);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.ok(result.seconds <= bound, `took ${result.seconds} s`);
    });
  }
});
