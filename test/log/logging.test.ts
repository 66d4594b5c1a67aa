// Log files: written as JSON lines, rotated by size and count; no secret in any line; task failures and web errors logged once with their fields.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildLogger, logFileName } from '../../src/log/logger.js';
import { secretValues } from '../../src/log/redact.js';
import { loadConfig } from '../../src/config/index.js';
import { type TestRedis } from '../helpers/redis-server.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { startCli } from '../helpers/cli.js';
import { raiseError } from '../../src/tasks/core.js';
import '../../src/tasks/index.js';
import { auditKey } from '../../src/redis/keys.js';

type Line = Record<string, unknown>;
const readLines = (file: string): Line[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);

/** Secrets as a deployment would set them; none may ever appear in a log file. */
const SECRETS = {
  GWQUEUE_SECRET_KEY: 'sk-0123456789abcdef-session-secret',
  // An admin's token: the web error test reads /audit, which is for admins.
  GWQUEUE_API_TOKENS: 'robot:admin=tok-robot-abcdef0123456789',
  GRACEDB_URL: 'https://gracedb.invalid/api/',
  GRACEDB_TOKEN: 'gdb-token-5f4e3d2c1b0a9988',
  GRACEDB_USERNAME: 'albert',
  GRACEDB_PASSWORD: 'relativity-1905-pw',
  SENTRY_DSN: 'https://feedfacecafebeef0123@sentry.invalid/42',
};
const SECRET_VALUES = [
  'sk-0123456789abcdef-session-secret',
  'tok-robot-abcdef0123456789',
  'gdb-token-5f4e3d2c1b0a9988',
  'relativity-1905-pw',
  'feedfacecafebeef0123',
  'redis-pass-77aa88bb',
  's%3Asession-cookie-value',
];

function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRET_VALUES) assert.ok(!text.includes(secret), `${where} contains the secret ${secret}`);
}

describe('log files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-logs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('lines are written to <dir>/gwqueue-<role>.log and rotated by size, keeping the configured number of files', async () => {
    const logDir = path.join(dir, 'rotation');
    const built = buildLogger({
      level: 'info',
      role: 'worker',
      console: false,
      file: { dir: logDir, maxBytes: 4096, maxFiles: 3 },
      secrets: [],
    });
    for (let i = 0; i < 400; i++) built.logger.info({ n: i, padding: 'x'.repeat(60) }, 'line');
    await built.close();
    assert.equal(built.file, path.join(logDir, 'gwqueue-worker.log'));
    const files = readdirSync(logDir).sort();
    assert.deepEqual(files, ['gwqueue-worker.log', 'gwqueue-worker.log.1', 'gwqueue-worker.log.2', 'gwqueue-worker.log.3']);
    for (const file of files) assert.ok(statSync(path.join(logDir, file)).size <= 4096 + 200, `${file} stays near the size limit`);
    // Newest lines in the current file, older ones in .1, .2, .3; the oldest are gone; nothing is cut in half.
    const numbers = ['gwqueue-worker.log.3', 'gwqueue-worker.log.2', 'gwqueue-worker.log.1', 'gwqueue-worker.log'].flatMap((file) =>
      readLines(path.join(logDir, file)).map((line) => line.n as number),
    );
    assert.equal(numbers[numbers.length - 1], 399);
    assert.ok(numbers[0] > 0, 'the oldest lines were dropped with the oldest file');
    assert.deepEqual(
      numbers,
      [...numbers].sort((a, b) => a - b),
      'in order, no gaps between files',
    );
    assert.equal(numbers.length, numbers[numbers.length - 1] - numbers[0] + 1);
    const [first] = readLines(path.join(logDir, 'gwqueue-worker.log'));
    assert.equal(first.role, 'worker');
    assert.equal(first.level, 30);
    assert.match(String(first.time), /^\d{4}-\d\d-\d\dT/);
  });

  test('no secret reaches a log line, whatever is logged: config, headers, errors, URLs, messages', async () => {
    const config = loadConfig({ GWQUEUE_ENV: 'production', ...SECRETS, REDIS_URL: 'redis://:redis-pass-77aa88bb@127.0.0.1:6379/0' });
    const built = buildLogger({
      level: 'info',
      role: 'web',
      console: false,
      file: { dir, maxBytes: 1 << 20, maxFiles: 2 },
      secrets: secretValues(config),
    });
    const log = built.logger.child({ component: 'test' });
    log.info({ config }, 'the whole configuration, by mistake');
    log.info(
      {
        headers: {
          authorization: `Bearer ${'tok-robot-abcdef0123456789'}`,
          cookie: 'gwqueue.sid=s%3Asession-cookie-value',
          'user-agent': 'curl/8',
        },
      },
      'request headers',
    );
    log.info(
      {
        req: { headers: { 'set-cookie': ['gwqueue.sid=s%3Asession-cookie-value; Path=/'] } },
        options: { auth: { password: 'relativity-1905-pw' } },
      },
      'nested',
    );
    log.error(
      {
        err: new Error(
          `GraceDB answered 401 for token gdb-token-5f4e3d2c1b0a9988 at https://albert:relativity-1905-pw@gracedb.invalid/api/`,
        ),
      },
      'task failed',
    );
    log.warn(
      `cannot reach redis://:redis-pass-77aa88bb@127.0.0.1:6379 (sentry ${SECRETS.SENTRY_DSN}) with key ${SECRETS.GWQUEUE_SECRET_KEY}`,
    );
    log.info(
      {
        fields: { superevent_id: 'S240101a', api_key: 'k-12345678', submission_token: 'one-time-123456' },
        deep: { a: { b: { c: { d: { secret: 'relativity-1905-pw' } } } } },
      },
      'form fields',
    );
    log.info({ authHeader: 'Basic YWxiZXJ0OnJlbGF0aXZpdHktMTkwNS1wdw==' }, 'basic auth');
    await built.close();
    const text = readFileSync(path.join(dir, logFileName('web')), 'utf8');
    assertNoSecret(text, 'the log file');
    assert.ok(!text.includes('YWxiZXJ0OnJlbGF0aXZpdHktMTkwNS1wdw=='), 'basic credentials are cut');
    assert.ok(!text.includes('k-12345678') && !text.includes('one-time-123456'), 'secret-named fields are cut');
    const lines = readLines(path.join(dir, logFileName('web')));
    assert.equal(lines.length, 7, 'every line is still written, as valid JSON');
    assert.equal((lines[5].fields as Line).superevent_id, 'S240101a', 'ordinary fields are kept');
    assert.equal((lines[1].headers as Line)['user-agent'], 'curl/8');
    assert.match(
      String((lines[3].err as Line).message),
      /^GraceDB answered 401 for token \[redacted\] at https:\/\/albert:\[redacted\]@gracedb\.invalid/,
    );
    assert.equal((lines[3].err as Line).type, 'Error');
  });
});

describe('what the processes log', () => {
  let redis: TestRedis;
  let engine: InProcess;
  let dir: string;

  before(async () => {
    engine = await startInProcess();
    redis = engine.redis;
    dir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-proclogs-'));
  });
  after(async () => {
    await engine?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = () => ({
    REDIS_URL: redis.url,
    GWQUEUE_PREFIX: engine.config.prefix,
    GWQUEUE_ENV: 'test',
    GWQUEUE_LOG_LEVEL: 'info',
    GWQUEUE_LOG_FILE: 'true',
    GWQUEUE_LOG_DIR: dir,
    GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '0',
    GWQUEUE_HEARTBEAT_MS: '200',
    GWQUEUE_RETRY_BACKOFF_MS: '20',
    ...SECRETS,
    GRACEDB_URL: '',
    SENTRY_DSN: '',
  });

  test('a worker logs each task failure once, to its file, with task, ID, queue, attempt and error, and no secret', async () => {
    const worker = await startCli(['worker', '-n', 'logs@test'], env(), /consuming/);
    try {
      const failing = await raiseError.applyAsync({ kwargs: { message: `GraceDB refused token ${SECRETS.GRACEDB_TOKEN}` } });
      const transient = await raiseError.applyAsync({ kwargs: { message: 'network blip', transient: true } });
      await assert.rejects(failing.get({ timeout: 10 }));
      await assert.rejects(transient.get({ timeout: 10 }));
    } finally {
      worker.child.kill('SIGTERM');
      assert.equal(await worker.exited, 0);
    }
    const file = path.join(dir, 'gwqueue-worker.log');
    const lines = readLines(file);
    assertNoSecret(readFileSync(file, 'utf8'), 'the worker log');
    const failures = lines.filter((line) => line.msg === 'task failed' && line.task === raiseError.name);
    assert.equal(failures.length, 2, 'one line per failed task (the transient one failed for good after its retry)');
    for (const line of failures) {
      assert.equal(line.level, 50);
      assert.equal(line.queue, 'celery');
      assert.match(String(line.id), /^[0-9a-f-]{36}$/);
      assert.equal(typeof line.attempt, 'number');
      assert.equal(line.role, 'worker');
      assert.ok((line.err as Line).message && (line.err as Line).stack);
    }
    assert.equal(new Set(failures.map((line) => line.id)).size, 2, 'each task once');
    assert.match(
      String((failures.find((l) => String((l.err as Line).message).startsWith('GraceDB'))!.err as Line).message),
      /GraceDB refused token \[redacted\]/,
    );
    const retries = lines.filter((line) => line.msg === 'task failed, will retry');
    assert.equal(retries.length, 1);
    assert.equal(retries[0].level, 40);
    assert.ok(lines.some((line) => line.msg === 'worker started') && lines.some((line) => line.msg === 'worker stopped'));
  });

  test('the console logs a web error once, with method, path, user and status, and no token or cookie', async () => {
    await engine.client.redis.set(auditKey(engine.config), 'not a stream');
    const web = await startCli(['web', '--port', '0'], env(), /console at (http:\/\/\S+)/);
    try {
      const url = /console at (http:\/\/\S+)/.exec(web.output())![1];
      const response = await fetch(`${url}/audit`, {
        headers: { Authorization: `Bearer tok-robot-abcdef0123456789`, Cookie: 'gwqueue.sid=s%3Asession-cookie-value' },
      });
      assert.equal(response.status, 500);
      await eventually(() => readFileSync(path.join(dir, 'gwqueue-web.log'), 'utf8').includes('request failed'), 5000, 'the error line');
    } finally {
      web.child.kill('SIGTERM');
      await web.exited;
      await engine.client.redis.del(auditKey(engine.config));
    }
    const file = path.join(dir, 'gwqueue-web.log');
    assertNoSecret(readFileSync(file, 'utf8'), 'the web log');
    const errors = readLines(file).filter((line) => line.msg === 'request failed');
    assert.equal(errors.length, 1);
    assert.deepEqual(
      { method: errors[0].method, path: errors[0].path, user: errors[0].user, status: errors[0].status, level: errors[0].level },
      { method: 'GET', path: '/audit', user: 'robot', status: 500, level: 50 },
    );
  });
});
