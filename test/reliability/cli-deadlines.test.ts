// Every command keeps its time limit with Redis hung (SIGSTOP) or refusing: `nagios -t N` within N + 0.5 s with CRITICAL (N = 5 here); status, call, chain, result, inspect and control exit 69 with one line within their bound, also when Redis hangs mid-command.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { Redis } from 'ioredis';
import { testConfig } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { runCli } from '../helpers/cli.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const ADD = ['gwqueue.tasks.core.add', '--args', '[1, 2]'];

const COMMANDS: string[][] = [
  ['status'],
  ['call', ...ADD],
  ['call', ...ADD, '--wait', '10'],
  ['chain', 'send_mock_event'],
  ['chain', 'send_mock_event', '--wait', '10'],
  ['result', UNKNOWN_ID],
  ['result', UNKNOWN_ID, '--wait', '10'],
  ['inspect', 'ping'],
  ['control', 'retry', UNKNOWN_ID],
  ['control', 'shutdown', 'nobody@test'],
];

/**
 * REDIS_CONNECT_TIMEOUT_MS for these runs. The bound (docs/cli.md) counts it from the process's start, but leaves at
 * least 1.5 s after the command's own start-up (a loaded machine must not give a false exit 69). Start-up measured on
 * a loaded 2-core box reached 4.7 s, so 7 s keeps the test inside the plain bound (7 s + 0.5 s) as nagios -t 5 does.
 */
const CONNECT_TIMEOUT_MS = 7000;
const BOUND_S = CONNECT_TIMEOUT_MS / 1000 + 0.5;

async function timed(args: string[], env: Record<string, string>) {
  const started = Date.now();
  const result = await runCli(args, env, { timeoutMs: 30_000 });
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

/** Exit 69 and exactly one line on stderr, which says Redis could not be reached. */
function assertUnavailable(result: { code: number | null; stdout: string; stderr: string }) {
  assert.equal(result.code, 69, `${result.stdout}\n${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], /^gwqueue: (cannot connect to|cannot reach|no answer from) Redis/);
}

describe('command deadlines with Redis hung or refusing', () => {
  let hung: TestRedis;
  let env: (redis: TestRedis | string) => Record<string, string>;
  before(async () => {
    hung = await startRedis();
    const prefix = testConfig(hung.url).prefix;
    env = (redis) => ({ REDIS_URL: typeof redis === 'string' ? redis : redis.url, GWQUEUE_PREFIX: prefix, GWQUEUE_ENV: 'test' });
    hung.freeze();
  });
  after(async () => {
    hung?.thaw();
    await hung?.stop();
  });

  // -t 5 (Nagios's default is 10): on a loaded machine Node's start alone can take 2-3 s of a shorter budget.
  test('nagios -t 5: CRITICAL "No connection to broker", exit 2, within 5.5 s of its start', async (t) => {
    const result = await timed(['nagios', '-t', '5'], env(hung));
    t.diagnostic(`figures: ${JSON.stringify({ command: 'nagios -t 5', exit: result.code, seconds: result.seconds, bound: 5.5 })}`);
    assert.equal(result.code, 2, result.stdout);
    assert.match(result.stdout, /^CRITICAL.*No connection to broker/);
    assert.ok(result.seconds <= 5.5, `took ${result.seconds} s`);
  });

  for (const args of COMMANDS) {
    test(`${args.join(' ')}: hung or refused, one line, exit 69, within REDIS_CONNECT_TIMEOUT_MS + 0.5 s of its start`, async (t) => {
      const timeouts = { REDIS_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) };
      const [hangs, refused] = await Promise.all([
        timed(args, { ...env(hung), ...timeouts }),
        timed(args, { ...env('redis://127.0.0.1:1'), ...timeouts }),
      ]);
      t.diagnostic(
        `figures: ${JSON.stringify({ command: args.join(' '), bound: BOUND_S, hung: { exit: hangs.code, seconds: hangs.seconds }, refused: { exit: refused.code, seconds: refused.seconds } })}`,
      );
      assertUnavailable(hangs);
      assert.ok(hangs.seconds <= BOUND_S, `hung: took ${hangs.seconds} s (bound ${BOUND_S} s)`);
      assertUnavailable(refused);
      // Refused: nothing to wait for, it answers as soon as it has started up, never waiting out the timeout.
      assert.ok(refused.seconds < CONNECT_TIMEOUT_MS / 1000, `refused: took ${refused.seconds} s`);
    });
  }
});

// Redis that stops answering while a command waits for a task: each re-read of the task (every second) is bounded by
// REDIS_COMMAND_TIMEOUT_MS (2 s), so the command exits 69 within 1 + 2 + 0.5 s of the hang, not when --wait ends.
describe('command deadlines with Redis hung mid-command', () => {
  const servers: TestRedis[] = [];
  after(async () => {
    for (const server of servers) {
      server.thaw();
      await server.stop();
    }
  });

  for (const command of ['result', 'call', 'chain'] as const) {
    test(`${command} --wait 60, Redis SIGSTOPped while it waits: exit 69 with one line within 3.5 s of the hang`, async (t) => {
      const redis = await startRedis();
      servers.push(redis);
      const env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: testConfig(redis.url).prefix, GWQUEUE_ENV: 'test' };
      // No worker runs: the task waits (a delayed one for `result`), so the command is still waiting when Redis hangs.
      let args: string[];
      if (command === 'result') {
        const called = await runCli(['call', ...ADD, '--countdown', '600'], env, { timeoutMs: 30_000 });
        assert.equal(called.code, 0, called.stderr);
        args = ['result', called.stdout.trim(), '--wait', '60'];
      } else args = command === 'call' ? ['call', ...ADD, '--wait', '60'] : ['chain', 'send_mock_event', '--wait', '60'];
      const running = runCli(args, env, { timeoutMs: 30_000 });
      // The command is waiting once its queue-events connection blocks on the task's event stream (XREAD BLOCK).
      const probe = new Redis(redis.url);
      await eventually(async () => /cmd=xread/.test(String(await probe.client('LIST'))), 20_000, 'the command waiting for its task');
      probe.disconnect();
      redis.freeze();
      const frozen = Date.now();
      const result = await running;
      const seconds = (Date.now() - frozen) / 1000;
      t.diagnostic(`figures: ${JSON.stringify({ command: args.join(' '), exit: result.code, secondsAfterHang: seconds, bound: 3.5 })}`);
      assert.equal(result.code, 69, `${result.stdout}\n${result.stderr}`);
      // Before it: the task's ID (call) or what was queued (chain), said when the wait began.
      const lines = result.stderr.trim().split('\n');
      assert.match(lines.at(-1)!, /^gwqueue: (no answer from|cannot reach) Redis/, result.stderr);
      assert.equal(lines.length, command === 'result' ? 1 : 2, result.stderr);
      assert.equal(result.stdout, '', 'no result printed');
      assert.ok(seconds <= 3.5, `exited ${seconds} s after the hang`);
    });
  }
});
