// A configured API token in a task's arguments, result and error never reaches an output: the CLI (call, result, events, shell, inspect), the pages and the JSON answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { type TestRedis } from '../helpers/redis-server.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { runCli, startCli } from '../helpers/cli.js';
import { createApp } from '../../src/web/app.js';
import { createConsoleGraceDb } from '../../src/web/context.js';
import { CENSOR } from '../../src/log/redact.js';
import '../../src/tasks/index.js';

/** A real API token of the configuration (GWQUEUE_API_TOKENS), as a script might paste it into a task's arguments. */
const TOKEN = 'tok-output-0123456789abcdefXYZ';
/**
 * A second configured token that a chain's result holds: an operator chain's fields are checked against patterns, so a
 * token typed into one never reaches its result; this one is the preliminary alert's circular file name.
 */
const CHAIN_TOKEN = 'preliminary-circular.txt';
const TOKENS = `robot:admin=${TOKEN},chain-bot=${CHAIN_TOKEN}`;
const RAISE = 'gwqueue.tasks.core.raise_error';
const ECHO = 'gwqueue.tasks.core.echo';

describe('security: no configured secret in any output that shows task text', () => {
  let redis: TestRedis;
  let engine: InProcess;
  let env: Record<string, string>;
  let app: Express;
  let worker: Awaited<ReturnType<typeof startCli>> | undefined;
  /** Tasks that carried the token: a failure with it bare, one as a Bearer header, a result, and one still scheduled. */
  const ids = { bare: '', bearer: '', echoed: '', scheduled: '' };

  const clean = (text: string, where: string) => {
    assert.ok(!text.includes(TOKEN), `${where} shows the token:\n${text.slice(0, 2000)}`);
    // Not a part of it either (a token cut at a column limit would still leak its head).
    assert.ok(!text.includes(TOKEN.slice(0, 16)), `${where} shows part of the token`);
  };
  const callId = (stderr: string) => /^([0-9a-f-]{36})$/m.exec(stderr)?.[1] ?? '';

  before(async () => {
    engine = await startInProcess({ env: { GWQUEUE_API_TOKENS: TOKENS, GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '0' } });
    redis = engine.redis;
    env = {
      REDIS_URL: redis.url,
      GWQUEUE_PREFIX: engine.config.prefix,
      GWQUEUE_ENV: 'test',
      GWQUEUE_API_TOKENS: TOKENS,
      GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '0',
    };
    // A real worker process for every queue (the operator chain below crosses several), with the same configuration.
    worker = await startCli(['worker', '-n', 'output@test'], env, /consuming/);
    const { gracedb } = createConsoleGraceDb(engine.config, engine.client.redis);
    app = createApp({ config: engine.config, client: engine.client, gracedb, listenHost: '127.0.0.1' });
  });
  after(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await engine?.stop();
  });

  test('`call --wait`: the error of a failed task and the result of another, on stdout and stderr', async () => {
    const bare = await runCli(['call', RAISE, '--args', JSON.stringify([`upload refused for ${TOKEN}`]), '--wait', '20'], env);
    assert.equal(bare.code, 1, bare.stderr);
    assert.match(bare.stderr, new RegExp(`task failed: upload refused for \\${CENSOR}`));
    clean(bare.stdout + bare.stderr, 'call --wait (error)');
    ids.bare = callId(bare.stderr);

    const bearer = await runCli(['call', RAISE, '--args', JSON.stringify([`Bearer ${TOKEN}`]), '--wait', '20'], env);
    assert.equal(bearer.code, 1, bearer.stderr);
    assert.match(bearer.stderr, /task failed: Bearer \[redacted\]/);
    clean(bearer.stdout + bearer.stderr, 'call --wait (Bearer)');
    ids.bearer = callId(bearer.stderr);

    const echoed = await runCli(
      ['call', ECHO, '--args', JSON.stringify([{ note: `key ${TOKEN}`, token: 'abc-not-known' }]), '--wait', '20'],
      env,
    );
    assert.equal(echoed.code, 0, echoed.stderr);
    // The configured value is cut out of the text, and a secret-named key is censored whole, as in the logs.
    assert.deepEqual(JSON.parse(echoed.stdout), { note: `key ${CENSOR}`, token: CENSOR });
    ids.echoed = callId(echoed.stderr);
    for (const id of Object.values(ids).filter(Boolean)) assert.match(id, /^[0-9a-f-]{36}$/);

    // Only what is shown is redacted: the task itself ran with, and keeps, what it was given (a retry runs it again).
    const job = await engine.client.findJob(ids.bare);
    assert.deepEqual(job?.data.args, [`upload refused for ${TOKEN}`]);
  });

  test('`chain --wait`: the result of an operator chain', async () => {
    const mock = await runCli(['chain', 'send_mock_event', '--wait', '30'], env, { timeoutMs: 40_000 });
    assert.equal(mock.code, 0, mock.stderr);
    const { superevent_id: superevent, graceid: event } = JSON.parse(mock.stdout) as { superevent_id: string; graceid: string };
    const args = ['chain', 'send_preliminary_gcn', `superevent_id=${superevent}`, `event_id=${event}`, '--wait', '30'];
    const preliminary = await runCli(args, env, { timeoutMs: 40_000 });
    assert.equal(preliminary.code, 0, preliminary.stderr);
    const result = JSON.parse(preliminary.stdout) as { alert_type: string; circular_filename: string };
    assert.equal(result.alert_type, 'PRELIMINARY');
    assert.equal(result.circular_filename, `${CENSOR},0`);
    assert.ok(!(preliminary.stdout + preliminary.stderr).includes(CHAIN_TOKEN), 'chain --wait shows the configured token');
  });

  test('`result`: a failed task, its --traceback, and a completed one', async () => {
    const failed = await runCli(['result', ids.bare], env);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /raise_error failed: upload refused for \[redacted\]/);
    clean(failed.stdout + failed.stderr, 'result');
    const traceback = await runCli(['result', ids.bearer, '--traceback'], env);
    assert.equal(traceback.code, 1);
    assert.match(traceback.stdout, /Bearer \[redacted\]\n\s+at /);
    clean(traceback.stdout + traceback.stderr, 'result --traceback');
    const completed = await runCli(['result', ids.echoed], env);
    assert.equal(completed.code, 0);
    assert.deepEqual(JSON.parse(completed.stdout), { note: `key ${CENSOR}`, token: CENSOR });
  });

  test('`events --dump` (text and JSON): the failure reason and the result of each event', async () => {
    for (const json of [false, true]) {
      const dump = await startCli(['events', '--dump', ...(json ? ['--json'] : [])], env, /listening for task events/);
      try {
        const failing = await runCli(['call', RAISE, '--args', JSON.stringify([`dump ${TOKEN}`])], env);
        const echo = await runCli(['call', ECHO, '--args', JSON.stringify([`dump ${TOKEN}`])], env);
        const failedId = failing.stdout.trim();
        const echoId = echo.stdout.trim();
        const saw = (id: string, event: string) =>
          dump
            .output()
            .split('\n')
            .some((line) => line.includes(id) && (json ? line.includes(`"event":"${event}"`) : line.includes(` ${event}`)));
        await eventually(() => saw(failedId, 'failed') && saw(echoId, 'completed'), 15_000, 'the failed and completed events');
        assert.match(dump.output(), /dump \[redacted\]/);
        clean(dump.output(), `events --dump${json ? ' --json' : ''}`);
      } finally {
        dump.child.kill('SIGINT');
        assert.equal(await dump.exited, 0);
      }
    }
  });

  test('`shell`: a value it prints, what a script logs, and a task failure it reports', async () => {
    const script = [
      `await core.echo.delay('shell ${TOKEN}').get({ timeout: 10 })`,
      `console.log('logged', await core.echo.delay({ note: 'Bearer ${TOKEN}' }).get({ timeout: 10 }))`,
      `await core.raise_error.delay('shell failure ${TOKEN}').get({ timeout: 10 })`,
    ].join('\n');
    const run = await runCli(['shell'], env, { input: script, timeoutMs: 30_000 });
    assert.equal(run.code, 1, 'the failing line counts');
    assert.match(run.stdout, /'shell \[redacted\]'/);
    assert.match(run.stdout, /logged \{ note: 'Bearer \[redacted\]' \}/);
    assert.match(run.stdout + run.stderr, /shell failure \[redacted\]/);
    clean(run.stdout + run.stderr, 'shell');
  });

  test('`inspect scheduled` (text and --json): the arguments of a task waiting for its time', async () => {
    const scheduled = await runCli(['call', ECHO, '--args', JSON.stringify([`later ${TOKEN}`]), '--countdown', '600'], env);
    assert.equal(scheduled.code, 0, scheduled.stderr);
    ids.scheduled = scheduled.stdout.trim();
    const text = await runCli(['inspect', 'scheduled'], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`${ids.scheduled} ${ECHO} args=\\["later \\[redacted\\]"\\]`));
    clean(text.stdout + text.stderr, 'inspect scheduled');
    const json = await runCli(['inspect', 'scheduled', '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    assert.match(json.stdout, /"later \[redacted\]"/);
    clean(json.stdout, 'inspect scheduled --json');
  });

  const asAdmin = (path: string, accept = 'application/json') =>
    request(app).get(path).set('Authorization', `Bearer ${TOKEN}`).set('Accept', accept);

  test('the task page and /api/tasks/:id (an admin sees the stack: redacted too), console and dashboard', async () => {
    for (const id of [ids.bare, ids.bearer]) {
      const api = await asAdmin(`/api/tasks/${id}`).expect(200);
      assert.equal(api.body.state, 'failed');
      assert.ok(api.body.error.stack, 'an admin sees the stack');
      assert.match(api.body.error.message, /\[redacted\]/);
      assert.match(api.body.error.stack, /\[redacted\]/);
      clean(api.text, `/api/tasks/${id}`);
      const flower = await asAdmin(`/flower/api/tasks/${id}`).expect(200);
      assert.match(flower.body.error.stack, /\[redacted\]/);
      clean(flower.text, `/flower/api/tasks/${id}`);
      const page = await asAdmin(`/tasks/${id}`, 'text/html').expect(200);
      assert.match(page.text, /\[redacted\]/);
      clean(page.text, `/tasks/${id}`);
    }
    const result = await asAdmin(`/api/tasks/${ids.echoed}`).expect(200);
    assert.deepEqual(result.body.result, { note: `key ${CENSOR}`, token: CENSOR });
    clean(result.text, '/api/tasks (result)');
    clean((await asAdmin(`/tasks/${ids.echoed}`, 'text/html').expect(200)).text, '/tasks (result)');
  });

  test("the dashboard's task list (page and JSON): failed, completed and scheduled tasks", async () => {
    for (const state of ['failed', 'completed', 'delayed']) {
      const listed = await eventually(
        async () => {
          const answer = await asAdmin(`/flower/api/tasks?state=${state}&limit=100`).expect(200);
          return (answer.body.tasks as { args: string }[]).some((task) => task.args.includes('[redacted]')) ? answer : undefined;
        },
        10_000,
        `the ${state} tasks in the index`,
      );
      clean(listed.text, `/flower/api/tasks?state=${state}`);
      const page = await asAdmin(`/flower/tasks?state=${state}`, 'text/html').expect(200);
      assert.match(page.text, /\[redacted\]/);
      clean(page.text, `/flower/tasks?state=${state}`);
    }
  });

  test('the audit log (page and JSON): the arguments of `gwqueue call`', async () => {
    const json = await asAdmin('/audit?action=task.call').expect(200);
    const entries = json.body.entries as { fields: Record<string, unknown> }[];
    assert.ok(entries.length >= 5, 'the calls are audited');
    assert.match(JSON.stringify(entries), /\[redacted\]/);
    clean(json.text, '/audit (JSON)');
    const page = await asAdmin('/audit?action=task.call', 'text/html').expect(200);
    clean(page.text, '/audit');
  });
});
