// Sentry against a loopback server that accepts envelopes: task failures (one event, right tags), retries (breadcrumbs only), web 500s (with the frames that sent the Redis command), warnings, crashes, and release-health sessions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { z } from 'zod';
import { type TestRedis } from '../helpers/redis-server.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { startCli } from '../helpers/cli.js';
import { startFakeSentry, type FakeSentry, type SentryEvent, type StackFrame } from './sentry-server.js';
import { defineTask } from '../../src/queue/registry.js';
import { TransientError } from '../../src/queue/errors.js';
import { createApp } from '../../src/web/app.js';
import { createConsoleGraceDb } from '../../src/web/context.js';
import { flushSentry } from '../../src/sentry/sentry.js';
import { VERSION } from '../../src/version.js';
import '../../src/tasks/index.js';
import { auditKey } from '../../src/redis/keys.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROBOT_TOKEN = 'tok-robot-0123456789abcdef';

const flaky = defineTask({
  name: 'gwqueue.tests.sentry.flaky',
  description: 'Fails transiently on its first attempt, then succeeds.',
  params: { label: z.string() },
  retry: { attempts: 3, backoffMs: 50 },
  async run({ label }, ctx) {
    if (ctx.attempt === 1) throw new TransientError(`first attempt of ${label} fails`);
    return label;
  },
});

const broken = defineTask({
  name: 'gwqueue.tests.sentry.broken',
  description: 'Fails for good, with its arguments in the message.',
  params: { superevent_id: z.string(), token: z.string() },
  retry: { attempts: 3, backoffMs: 50 },
  async run({ superevent_id }) {
    throw new Error(`cannot process ${superevent_id}`);
  },
});

const tagged = (fake: FakeSentry, id: string) => fake.events().filter((event) => event.tags?.task_id === id);
const exceptionOf = (event: SentryEvent) => event.exception?.values[0];

describe('Sentry', () => {
  let redis: TestRedis;
  let fake: FakeSentry;
  let engine: InProcess;

  before(async () => {
    fake = await startFakeSentry();
    engine = await startInProcess({
      env: { SENTRY_DSN: fake.dsn, GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '0', GWQUEUE_API_TOKENS: `robot:admin=${ROBOT_TOKEN}` },
    });
    redis = engine.redis;
    await engine.startWorker({ name: 'sentry@test' });
  });
  after(async () => {
    await engine?.stop();
    await fake?.stop();
  });

  test('a task that fails for good sends exactly one event, with task, ID, queue, worker, attempt and arguments', async () => {
    const handle = await broken.applyAsync({ args: ['S240101a'], kwargs: { token: 'tok-0123456789abcdef' } });
    await assert.rejects(handle.get({ timeout: 10 }));
    await flushSentry(3000);
    const events = await eventually(
      () => (tagged(fake, handle.id).length ? tagged(fake, handle.id) : undefined),
      5000,
      'the task failure event',
    );
    // Every capture for this task happened in the worker (in this process) before the event above was sent; once a
    // flush resolves, all of them have reached the fake server, so a second event would be there now.
    await flushSentry(10_000);
    assert.equal(tagged(fake, handle.id).length, 1, 'exactly one event');
    const [event] = events;
    assert.equal(event.level, 'error');
    assert.equal(event.environment, 'test');
    assert.equal(event.release, `gwqueue@${VERSION}`);
    assert.deepEqual(
      {
        task: event.tags?.task,
        queue: event.tags?.queue,
        worker: event.tags?.worker,
        attempt: event.tags?.attempt,
        component: event.tags?.component,
      },
      { task: 'gwqueue.tests.sentry.broken', queue: 'celery', worker: 'sentry@test', attempt: '1', component: 'worker' },
    );
    assert.equal(exceptionOf(event)?.value, 'cannot process S240101a');
    // The worker handled it (recorded, went on): not an unhandled error, which would mark the process crashed.
    assert.equal(exceptionOf(event)?.mechanism?.handled, true);
    const context = event.contexts?.task as { id: string; args: unknown[]; kwargs: Record<string, unknown>; maxAttempts: number };
    assert.equal(context.id, handle.id);
    assert.deepEqual(context.args, ['S240101a']);
    assert.equal(context.kwargs.token, '[redacted]', 'secret-named arguments are not sent');
    assert.equal(context.maxAttempts, 3);
    assert.ok(!fake.bodies.some((body) => body.includes('tok-0123456789abcdef')), 'the token never leaves the machine');

    // Release health: the process's session counts the error, and is not crashed (a crash is a process crash).
    const session = await eventually(() => fake.sessions().find((s) => s.errors >= 1), 5000, 'the session update that counts the error');
    assert.equal(session.status, 'ok');
    assert.equal(session.attrs?.release, `gwqueue@${VERSION}`);
    assert.deepEqual(
      fake.sessions().filter((s) => s.status === 'crashed'),
      [],
    );
  });

  test('a task retried then successful sends no event; its retry is a breadcrumb on the next event', async () => {
    const before = fake.events().length;
    const handle = await flaky.delay('retry-me');
    assert.equal(await handle.get({ timeout: 10 }), 'retry-me');
    assert.equal((await handle.info()).attempts, 2, 'it did fail once');
    // A capture for the failed first attempt would have been made before the retry ran, so before get() resolved;
    // once the flush resolves it would have reached the fake server.
    await flushSentry(10_000);
    assert.equal(fake.events().length, before, 'no event for a task that eventually succeeded');

    // The next failure carries the retry as a breadcrumb.
    const failing = await broken.applyAsync({ args: ['S240102b'], kwargs: { token: 'x' } });
    await assert.rejects(failing.get({ timeout: 10 }));
    await flushSentry(3000);
    const [event] = await eventually(
      () => (tagged(fake, failing.id).length ? tagged(fake, failing.id) : undefined),
      5000,
      'the second failure',
    );
    const crumb = event.breadcrumbs?.find((b) => b.category === 'task.retry' && b.data?.id === handle.id);
    assert.ok(crumb, `retry breadcrumb in ${JSON.stringify(event.breadcrumbs)}`);
    assert.equal(crumb.level, 'warning');
    assert.match(
      crumb.message ?? '',
      /gwqueue\.tests\.sentry\.flaky .* failed on attempt 1 of 3, will retry: first attempt of retry-me fails/,
    );
  });

  test('a clean stop of a worker ends the session "exited", its errors counted (errored, not crashed)', async () => {
    const worker = await engine.startWorker({ name: 'sentry-stop@test', queues: ['voevent'] });
    await worker.stop();
    engine.workers.splice(engine.workers.indexOf(worker), 1);
    const ended = await eventually(() => fake.sessions().find((s) => s.status === 'exited'), 5000, 'the session end');
    assert.ok(ended.errors >= 1, `the task failures are counted: ${JSON.stringify(ended)}`);
    assert.deepEqual(
      fake.sessions().filter((s) => s.status === 'crashed'),
      [],
    );
  });

  test('an unhandled error in a web request (500) is one event with method, path and user, without cookies or auth headers', async () => {
    const { gracedb } = createConsoleGraceDb(engine.config, engine.client.redis);
    const app = createApp({ config: engine.config, client: engine.client, gracedb, listenHost: '127.0.0.1' });
    // A damaged audit key (a string where a stream belongs) makes the audit page (admins only) fail with a real Redis error.
    await engine.client.redis.set(auditKey(engine.config), 'not a stream');
    const before = fake.events().length;
    await request(app)
      .get('/audit')
      .set('Cookie', 'gwqueue.sid=s%3Asecret-session-id')
      .set('Authorization', `Bearer ${ROBOT_TOKEN}`)
      .expect(500);
    await flushSentry(3000);
    const event = await eventually(
      () =>
        fake
          .events()
          .slice(before)
          .find((e) => e.tags?.component === 'web'),
      5000,
      'the web error event',
    );
    assert.equal(event.tags?.method, 'GET');
    assert.equal(event.tags?.status, '500');
    assert.equal((event.contexts?.request as { path: string }).path, '/audit');
    assert.equal(event.user?.username, 'robot');
    assert.match(exceptionOf(event)?.value ?? '', /WRONGTYPE/);
    assert.equal(exceptionOf(event)?.mechanism?.handled, true, 'the error handler answered: errored, not crashed');
    // Redis's error is made in ioredis's reply parser; the event still names the code that sent the command and the
    // request handler that awaited it, as in-app frames.
    const frames = exceptionOf(event)?.stacktrace?.frames ?? [];
    const inApp = frames.filter((frame: StackFrame) => frame.in_app);
    const names = inApp.map((frame) => `${frame.filename ?? ''} ${frame.function ?? ''}`).join('\n');
    assert.match(names, /src\/audit\/audit-log\.ts listAudit/, `the function that sent XREVRANGE:\n${names}`);
    assert.match(names, /src\/web\/handlers\/audit\.ts/, `the handler that awaited it:\n${names}`);
    const body = fake.bodies.join('\n');
    assert.ok(!body.includes('secret-session-id') && !body.includes(ROBOT_TOKEN), 'no cookie or bearer token is sent');
    await engine.client.redis.del(auditKey(engine.config));
    // Release health of a server: the SDK counts each request as a session (aggregated); the 500 is an errored one.
    const aggregates = () =>
      fake.items
        .filter((item) => item.header.type === 'sessions')
        .flatMap((item) => (item.payload as { aggregates: { errored?: number; crashed?: number }[] }).aggregates);
    await eventually(
      async () => {
        await flushSentry(1000);
        return aggregates().some((a) => (a.errored ?? 0) >= 1);
      },
      15_000,
      'the request session of the 500, errored',
    );
    assert.ok(
      aggregates().every((a) => !a.crashed),
      `no request session crashed: ${JSON.stringify(aggregates())}`,
    );
  });

  test('a warning logged by a running console (CSRF refusal) becomes a warning event', async () => {
    const env = {
      REDIS_URL: redis.url,
      GWQUEUE_PREFIX: engine.config.prefix,
      SENTRY_DSN: fake.dsn,
      GWQUEUE_LOG_LEVEL: 'warn',
      GWQUEUE_ENV: 'test',
      GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '0',
      GWQUEUE_LOCAL_USER: 'true',
    };
    const web = await startCli(['web', '--port', '0'], env, /console at (http:\/\/\S+)/);
    try {
      const url = /console at (http:\/\/\S+)/.exec(web.output())![1];
      const response = await fetch(`${url}/send_mock_event`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'x=1',
      });
      assert.equal(response.status, 403);
      const text = (e: SentryEvent) => (typeof e.message === 'string' ? e.message : (e.message?.formatted ?? ''));
      const warning = (pattern: RegExp) =>
        eventually(
          () => fake.events().find((e) => e.level === 'warning' && e.tags?.component === 'web' && pattern.test(text(e))),
          10_000,
          `a warning event matching ${pattern}`,
        );
      const event = await warning(/CSRF check failed/);
      // The test Redis has no append-only file: the console said so at start, and that reached Sentry too.
      await warning(/^Redis has appendonly no: a restart of Redis loses every task/);
      assert.equal((event.contexts?.log as { path: string }).path, '/send_mock_event');
      assert.equal(event.environment, 'test');
    } finally {
      web.child.kill('SIGTERM');
      await web.exited;
    }
  });

  test('a crash (uncaught exception) is logged, sent as a fatal event, and the process exits with 70', async () => {
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'fixtures', 'crash.ts')], {
          env: { ...process.env, GWQUEUE_ENV: 'test', GWQUEUE_LOG_LEVEL: 'silent', ...env },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    // Each process on a Sentry of its own, so that its sessions are told apart from this test process's.
    const worker = await startFakeSentry();
    const oneShot = await startFakeSentry();
    try {
      const crashed = await run({ SENTRY_DSN: worker.dsn });
      assert.equal(crashed.code, 70, crashed.stderr);
      assert.match(crashed.stderr, /crashed \(uncaughtException\): Error: the fixture crashed on purpose/);
      const event = worker.events().find((e) => exceptionOf(e)?.value === 'the fixture crashed on purpose');
      assert.ok(event, 'the crash reached Sentry before the process exited');
      assert.equal(event.level, 'fatal');
      assert.equal(exceptionOf(event)?.mechanism?.handled, false);
      // A crash is what makes a session "crashed": the worker's session says so (sent before the process left).
      assert.deepEqual(
        worker.sessions().map((s) => s.status),
        ['crashed'],
      );

      // A one-shot command starts no session: its crash is reported, and no session came before it (a session update
      // is sent before the event it comes from, and the process flushed both before it left).
      const cli = await run({ SENTRY_DSN: oneShot.dsn, FIXTURE_COMMAND: 'call' });
      assert.equal(cli.code, 70, cli.stderr);
      assert.ok(
        oneShot.events().some((e) => e.level === 'fatal' && exceptionOf(e)?.value === 'the fixture crashed on purpose'),
        'the command crash is reported',
      );
      assert.deepEqual(oneShot.sessions(), []);
    } finally {
      await worker.stop();
      await oneShot.stop();
    }

    // Without a DSN: nothing is sent, and the crash is handled the same way.
    const count = fake.items.length;
    const quiet = await run({ SENTRY_DSN: '' });
    assert.equal(quiet.code, 70);
    assert.match(quiet.stderr, /the fixture crashed on purpose/);
    assert.equal(fake.items.length, count);
  });
});
