// Generated bad values for every CLI argument (cases in bad-argument-cases.ts): the documented exit code, one short line naming the argument, nothing enqueued, nothing started.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { type TestRedis } from '../helpers/redis-server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startProcesses, type Processes } from '../helpers/real-processes.js';
import { badArgumentCases, type BadCase } from './bad-argument-cases.js';

/** Control and bidi-override characters: a bad value must not carry them into the message (they would break the line or hide text). */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;
const CONCURRENCY = 4;
/** worker, web, flower and dev would run until stopped had they accepted the value: they must exit by themselves. */
const TIMEOUT_MS = 15_000;

function describeCase(c: BadCase): string {
  return `gwqueue ${c.args.map((arg) => JSON.stringify(arg.length > 40 ? `${arg.slice(0, 20)}…(${arg.length})` : arg)).join(' ')}`;
}

/** What the user is told: stderr, or for the Nagios plugin the status line on stdout (its usage follows, by design). */
function check(c: BadCase, run: CliResult): void {
  const what = describeCase(c);
  assert.notEqual(run.code, 0, `${what} was accepted`);
  assert.notEqual(run.code, 70, `${what}: internal error: ${run.stderr}`);
  assert.equal(run.code, c.expect, `${what} → ${run.code}: ${run.stdout}${run.stderr}`);
  const nagios = c.args[0] === 'nagios';
  const message = nagios ? run.stdout.split('\n')[0] : run.stderr.trimEnd();
  assert.doesNotMatch(`${run.stdout}${run.stderr}`, /\n\s+at /, `${what}: no stack trace`);
  assert.ok(!message.includes('\n'), `${what}: one line, got ${JSON.stringify(message.slice(0, 300))}`);
  assert.ok(message.length <= 600, `${what}: a short message, got ${message.length} characters`);
  assert.doesNotMatch(message, RAW_CONTROL, `${what}: control characters are escaped in ${JSON.stringify(message.slice(0, 200))}`);
  assert.match(message, c.mention, `${what}: the message names the argument: ${JSON.stringify(message.slice(0, 300))}`);
  if (nagios) {
    assert.match(message, /^UNKNOWN: /, `${what}: a plugin status line`);
    assert.equal(run.stderr, '', `${what}: Nagios reads stdout only`);
  } else {
    assert.match(message, /^(gwqueue: |error: )/, `${what}: one gwqueue or commander line`);
    assert.equal(run.stdout, '', `${what}: nothing on stdout (no task ID, no result)`);
  }
}

/** Runs every case, `CONCURRENCY` at a time; collects every failure instead of stopping at the first. */
async function runAll(cases: BadCase[], env: Record<string, string>): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      try {
        check(c, await runCli(c.args, env, { timeoutMs: TIMEOUT_MS }));
      } catch (error) {
        failures.push(((error as Error).message ?? String(error)).split('\n').slice(0, 3).join(' | '));
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return failures;
}

describe('bad CLI arguments, generated', () => {
  let environment: Processes;
  let redis: TestRedis;
  let client: Redis;
  let env: Record<string, string>;
  let prefix: string;

  before(async () => {
    environment = await startProcesses();
    redis = environment.redis;
    prefix = environment.config.prefix;
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: prefix, GWQUEUE_HEARTBEAT_MS: '200' };
    client = new Redis(redis.url);
  });
  after(async () => {
    client?.disconnect();
    await environment?.stop();
  });

  /** Every key under the prefix (jobs, queue sets, heartbeats…) but the audit log. A refused command writes none. */
  const keyCount = async () => (await client.keys(`*${prefix}*`)).filter((key) => !key.endsWith(':audit')).length;
  /** `control cancel|retry` of an unknown ID is audited as rejected, by design (README): only such entries may appear after the first call's. */
  const auditOutcomes = async () => {
    const [key] = await client.keys(`*${prefix}*:audit`);
    const entries = key ? await client.xrange(key, '-', '+') : [];
    return entries.map(([, fields]) => JSON.parse(fields[1]) as { action: string; outcome: string });
  };

  test('every argument that takes a value refuses bad values: exit code, one line naming it, nothing enqueued or started', async () => {
    // One task first, so that the count below is known to see what `call` writes.
    const ok = await runCli(['call', 'gwqueue.tasks.core.ping'], env);
    assert.equal(ok.code, 0, ok.stderr);
    const keysBefore = await keyCount();
    assert.ok(keysBefore > 0, 'a task was enqueued and counted');
    const auditBefore = await auditOutcomes();
    assert.deepEqual(
      auditBefore.map((entry) => [entry.action, entry.outcome]),
      [['task.call', 'accepted']],
      'the accepted call is audited',
    );

    const cases = badArgumentCases();
    const started = Date.now();
    const failures = await runAll(cases, env);
    console.log(`bad-argument cases tried: ${cases.length} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases failed`);
    assert.equal(await keyCount(), keysBefore, 'nothing was enqueued or written to Redis');
    const audited = (await auditOutcomes()).slice(auditBefore.length);
    assert.deepEqual(
      audited.filter((entry) => entry.outcome !== 'rejected'),
      [],
      'nothing was done: no call and no control action accepted',
    );
    assert.ok(cases.length >= 150);
  });
});
