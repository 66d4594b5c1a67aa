// `gwqueue shell`: a script piped in calls tasks (the seed's GraceDB download among them) and prints results; interactive in tmux with history.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, type TestRedis } from '../helpers/redis-server.js';
import { BIN, runCli, startCli } from '../helpers/cli.js';
import { testConfig } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { startProcesses, type Processes } from '../helpers/real-processes.js';
import { Redis } from 'ioredis';
import { listAudit } from '../../src/audit/audit-log.js';

const SOCKET = `gwqueue-shell-test-${process.pid}`;
const tmux = (...args: string[]) => spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const shellQuote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

describe('gwqueue shell', () => {
  let environment: Processes;
  let redis: TestRedis;
  let env: Record<string, string>;
  let varDir: string;
  let worker: Awaited<ReturnType<typeof startCli>> | undefined;

  before(async () => {
    environment = await startProcesses();
    redis = environment.redis;
    varDir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-shell-'));
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: environment.config.prefix, GWQUEUE_ENV: 'test', GWQUEUE_VAR_DIR: varDir };
    worker = await startCli(['worker', '-n', 'shell@test'], env, /consuming/);
  });
  after(async () => {
    tmux('kill-server');
    worker?.child.kill('SIGKILL');
    await environment?.stop();
    rmSync(varDir, { recursive: true, force: true });
  });

  test('a piped script calls tasks by short and dotted name, awaits their results and prints them, line by line', async () => {
    const script = [
      'const sum = await core.add.delay(20, 22).get({ timeout: 10 })',
      "console.log('sum', sum)",
      'const ev = await first2years.upload_event.delay().get({ timeout: 20 })',
      "const file = await gracedb.download.delay('coinc.xml', ev.graceid).get()",
      "console.log('download', Buffer.from(file.base64, 'base64').toString().slice(0, 13), file.slice(0, 13), file.filename)",
      // What .get() gives is what the prompt shows: a text file's text (header and text when logged), not base64.
      "console.log(await core.echo.delay({ base64: Buffer.from('hi there\\n').toString('base64'), filename: 'note.txt' }).get())",
      "console.log('text', `${await AsyncResult((await core.echo.delay({ base64: Buffer.from('a\\nb').toString('base64') })).id).get()}`)",
      // Celery's spellings: apply_async with positional args (and kwargs, options) or an options object; on a chain.
      "console.log('apply_async', await core.add.apply_async([1, 2]).get(), await core.add.apply_async({ args: [2, 2] }).get())",
      "console.log('chain apply_async', await chain(core.add.s(1, 2), core.add.s(1)).apply_async().get())",
      "console.log('client', (await gracedbClient.getEvent(ev.graceid)).graceid === ev.graceid)",
      "console.log('names', gwqueue.tasks.core.add === core.add, tasks['gwqueue.tasks.gracedb.download'] === gracedb.download)",
      'function twice(x) {',
      '  return x * 2',
      '}',
      "console.log('chain', await chain(core.add.s(1, 2), core.add.s(10)).delay().get())",
      "console.log('group', await group(core.add.s(1, 1), core.echo.s('x')).delay().get())",
      'twice(21)',
      'await redis.ping()',
      // A file result prints as its name, type and text (or says it is binary), not as base64.
      "({ base64: Buffer.from('hello\\n').toString('base64'), filename: 'note.txt' })",
      "({ base64: Buffer.from([0, 1, 2]).toString('base64'), filename: 'map.fits' })",
    ].join('\n');
    const run = await runCli(['shell'], env, { input: script, timeoutMs: 30_000 });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(
      run.stdout,
      [
        'sum 42',
        'download <?xml version <?xml version coinc.xml',
        '[file note.txt, text/plain; charset=utf-8, 9 bytes]',
        'hi there',
        'text a',
        'b',
        'apply_async 3 4',
        'chain apply_async 4',
        'client true',
        'names true true',
        'chain 13',
        "group [ 2, 'x' ]",
        '42',
        "'PONG'",
        '[file note.txt, text/plain; charset=utf-8, 6 bytes]',
        'hello',
        '[file map.fits, application/fits, 3 bytes: binary, not shown; .base64 holds the bytes]',
        '',
      ].join('\n'),
    );
    assert.match(run.stderr, /gwqueue .* shell/);
    assert.match(run.stderr, /gracedbClient \(the GraceDB client; "gracedb" is the task module\)/);

    // Every submission is in the audit log, with the OS user and cli@host.
    const connection = new Redis(redis.url);
    try {
      const { entries } = await listAudit(connection, testConfig(redis.url, { GWQUEUE_PREFIX: env.GWQUEUE_PREFIX }), {});
      const shell = entries.filter((e) => e.action === 'shell.submit').reverse();
      assert.deepEqual(
        shell.map((e) => e.detail),
        [
          'queued gwqueue.tasks.core.add',
          'queued gwqueue.tasks.first2years.upload_event',
          'queued gwqueue.tasks.gracedb.download',
          'queued gwqueue.tasks.core.echo',
          'queued gwqueue.tasks.core.echo',
          'queued gwqueue.tasks.core.add',
          'queued gwqueue.tasks.core.add',
          'queued gwqueue.tasks.core.add, gwqueue.tasks.core.add',
          'queued gwqueue.tasks.core.add, gwqueue.tasks.core.add',
          'queued gwqueue.tasks.core.add, gwqueue.tasks.core.echo',
        ],
      );
      assert.deepEqual(shell[0].fields, { steps: [{ task: 'gwqueue.tasks.core.add', args: [20, 22], kwargs: {} }], via: 'shell' });
      assert.deepEqual([shell[0].user, shell[0].address, shell[0].outcome], [os.userInfo().username, `cli@${os.hostname()}`, 'accepted']);
      assert.ok(
        shell.every((e) => e.taskId),
        'each with its task ID',
      );
    } finally {
      connection.disconnect();
    }
  });

  test('a failing line is reported, the next ones still run, and the exit code is 1', async () => {
    const run = await runCli(['shell', '-q'], env, { input: "nosuch()\nawait core.add.delay('a', 1)\nconsole.log('after')\n" });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /ReferenceError: nosuch is not defined/);
    assert.match(run.stdout, /TaskArgumentError: bad arguments for gwqueue\.tasks\.core\.add: x: /);
    assert.match(run.stdout, /^after$/m);
    assert.equal(run.stderr, '');
  });

  test('interactive in a terminal: prompt, top-level await, history kept in the var folder', async () => {
    const vars = Object.entries({ ...env, GWQUEUE_LOG_LEVEL: 'silent' })
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' ');
    const started = tmux(
      'new-session',
      '-d',
      '-s',
      'repl',
      '-x',
      '100',
      '-y',
      '30',
      `env ${vars} ${shellQuote(process.execPath)} ${shellQuote(BIN)} shell; echo "EXIT=$?"; sleep 60`,
    );
    assert.equal(started.status, 0, started.stderr);
    const screen = () => tmux('capture-pane', '-p', '-t', 'repl').stdout;
    /** Waits until the screen matches; on timeout the message shows the screen as it was last. */
    const showing = (pattern: RegExp, label: string) =>
      eventually(
        () => {
          if (!pattern.test(screen())) throw new Error(`screen:\n${screen()}`);
          return true;
        },
        10_000,
        label,
      );
    await showing(/^gwqueue>\s*$/m, 'the prompt');
    for (const line of ['40 + 2', 'await core.add.delay(1, 2).get()']) {
      tmux('send-keys', '-t', 'repl', '-l', line);
      tmux('send-keys', '-t', 'repl', 'Enter');
    }
    await showing(/^42\n[\s\S]*^3\ngwqueue>\s*$/m, 'the answers');
    tmux('send-keys', '-t', 'repl', 'C-d');
    await showing(/EXIT=0/, 'a clean exit');
    const history = readFileSync(path.join(varDir, 'shell_history'), 'utf8').split('\n');
    assert.deepEqual(history.slice(0, 2), ['await core.add.delay(1, 2).get()', '40 + 2']);
  });

  test('Redis unreachable: one line and exit 69', async () => {
    const port = await freePort();
    const run = await runCli(['shell'], { ...env, REDIS_URL: `redis://127.0.0.1:${port}` }, { input: '1\n' });
    assert.equal(run.code, 69);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.match(run.stderr, /^gwqueue: cannot connect to Redis/);
  });
});
