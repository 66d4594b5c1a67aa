// The real CLI as child processes: call → result round trip, status, and every error path with its exit code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { freePort, type TestRedis } from '../helpers/redis-server.js';
import { BIN, runCli, startCli } from '../helpers/cli.js';
import { startProcesses, type Processes } from '../helpers/real-processes.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('gwqueue CLI', () => {
  let environment: Processes;
  let redis: TestRedis;
  let env: Record<string, string>;
  let worker: Awaited<ReturnType<typeof startCli>> | undefined;

  before(async () => {
    environment = await startProcesses();
    redis = environment.redis;
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: environment.config.prefix, GWQUEUE_HEARTBEAT_MS: '200' };
  });
  after(async () => {
    worker?.child.kill('SIGKILL');
    await environment?.stop();
  });

  test('--help lists the commands and exits 0; --version prints the version', async () => {
    const help = await runCli(['--help'], env);
    assert.equal(help.code, 0);
    for (const command of ['dev', 'worker', 'call', 'result', 'status']) assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`));
    const version = await runCli(['--version'], env);
    assert.equal(version.code, 0);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  test('call --list lists every task that can be called: name, queue, one line of what it does; call --help says so', async () => {
    const list = await runCli(['call', '--list'], env);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trimEnd().split('\n');
    assert.match(
      lines.find((line) => line.startsWith('gwqueue.tasks.core.add ')) ?? '',
      /^gwqueue\.tasks\.core\.add +celery +Adds two numbers \(the canvas example from Celery's documentation\)\.$/,
    );
    assert.match(lines.find((line) => line.startsWith('gwqueue.tasks.gracedb.download ')) ?? '', /^\S+ +\S+ +\S.*$/);
    assert.ok(!list.stdout.includes('gwqueue.canvas.'), 'no internal task');
    assert.deepEqual(
      [...lines].sort((a, b) => a.localeCompare(b)),
      lines,
      'sorted by name',
    );
    const help = await runCli(['call', '--help'], env);
    assert.match(help.stdout, /-l, --list +list the tasks that can be called/);
    assert.match(help.stdout, /gwqueue call --list/);
  });

  test('status with no worker: "0 nodes online." and exit 69', async () => {
    const status = await runCli(['status'], env);
    assert.equal(status.code, 69);
    assert.match(status.stdout, /^0 nodes online\.$/m);
  });

  test('call prints only the task ID; result --wait prints the JSON result', async () => {
    const call = await runCli(['call', 'gwqueue.tasks.core.add', '--args=[20, 22]'], env);
    assert.equal(call.code, 0, call.stderr);
    const id = call.stdout.trim();
    assert.match(id, UUID);
    // Not run yet: no worker. The result is not there, and says so.
    const early = await runCli(['result', id], env);
    assert.equal(early.code, 75);
    assert.match(early.stderr, /is waiting \(not finished yet\)/);
    worker = await startCli(['worker', '-n', 'cli@test'], env, /consuming/);
    const result = await runCli(['result', id, '--wait', '10'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout), 42);
  });

  test("result --raw and -o give a downloaded file's bytes; -o never overwrites; a non-file result is refused", async () => {
    const mock = await runCli(['call', 'gwqueue.tasks.first2years.upload_event', '--wait', '20'], env);
    assert.equal(mock.code, 0, mock.stderr);
    const graceid = (JSON.parse(mock.stdout) as { graceid: string }).graceid;
    const download = await runCli(
      ['call', 'gwqueue.tasks.gracedb.download', `--args=${JSON.stringify(['bayestar.multiorder.fits', graceid])}`],
      env,
    );
    const id = download.stdout.trim();
    const json = await runCli(['result', id, '--wait', '10'], env);
    assert.equal(json.code, 0, json.stderr);
    const stored = JSON.parse(json.stdout) as { base64: string; filename: string };
    const bytes = Buffer.from(stored.base64, 'base64');
    assert.equal(bytes.subarray(0, 6).toString(), 'SIMPLE', 'a FITS file stays JSON');
    assert.equal(stored.filename, 'bayestar.multiorder.fits');

    // A text file prints as its text; --json gives the stored form.
    const coinc = (
      await runCli(['call', 'gwqueue.tasks.gracedb.download', `--args=${JSON.stringify(['coinc.xml', graceid])}`], env)
    ).stdout.trim();
    const text = await runCli(['result', coinc, '--wait', '10'], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^<\?xml version/);
    assert.match(text.stdout, /<\/LIGO_LW>\s*$/);
    const asJson = JSON.parse((await runCli(['result', coinc, '--json'], env)).stdout) as { base64: string; filename: string };
    assert.equal(Buffer.from(asJson.base64, 'base64').toString('utf8'), text.stdout);
    assert.equal(asJson.filename, 'coinc.xml');

    const dir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-result-'));
    const file = path.join(dir, 'bayestar.multiorder.fits');
    const written = await runCli(['result', id, '-o', file], env);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(written.stdout, '');
    assert.match(written.stderr, new RegExp(`^gwqueue: wrote ${bytes.length} bytes to `));
    assert.ok(readFileSync(file).equals(bytes), 'the file holds exactly the downloaded bytes');
    const again = await runCli(['result', id, '-o', file], env);
    assert.equal(again.code, 73);
    assert.match(again.stderr, /already exists; it is not overwritten/);
    assert.ok(readFileSync(file).equals(bytes), 'left as it was');

    const raw = await new Promise<Buffer>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'result', id, '--raw'], { env: { ...process.env, GWQUEUE_LOG_LEVEL: 'silent', ...env } });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`exit ${code}`))));
    });
    assert.ok(raw.equals(bytes), '--raw prints the bytes, not JSON');
    // On a terminal (a pty from util-linux's `script`), binary bytes are refused instead of garbling it.
    const command = [process.execPath, BIN, 'result', id, '--raw'].map((arg) => `'${arg}'`).join(' ');
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, GWQUEUE_LOG_LEVEL: 'silent', ...env },
      encoding: 'latin1',
    });
    assert.equal(tty.status, 64, tty.stdout);
    assert.match(tty.stdout, new RegExp(`is binary \\(${bytes.length} bytes\\); write it with -o FILE or redirect the output`));
    assert.ok(!tty.stdout.includes('SIMPLE  ='), 'no FITS bytes on the terminal');

    const sum = (await runCli(['call', 'gwqueue.tasks.core.add', '--args=[1, 2]'], env)).stdout.trim();
    const notFile = await runCli(['result', sum, '--wait', '10', '--raw'], env);
    assert.equal(notFile.code, 65);
    assert.match(notFile.stderr, /is a number, not a file or text; leave out --raw and -o/);
    assert.equal((await runCli(['result', id, '-o', ''], env)).code, 64);
  });

  test("result shows a task's error and stack with its terminal escapes made visible, not run", async () => {
    const call = await runCli(
      ['call', 'gwqueue.tasks.core.raise_error', `--args=${JSON.stringify(['\u001b[2J\u001b[31mred\u202e'])}`],
      env,
    );
    const id = call.stdout.trim();
    const failed = await runCli(['result', id, '--wait', '10'], env);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stdout, /failed: .*\\u001b\[2J\\u001b\[31mred\\u202e/);
    const traceback = await runCli(['result', id, '--traceback'], env);
    assert.equal(traceback.code, 1);
    assert.match(traceback.stdout, /\\u001b\[31mred/);
    assert.match(traceback.stdout, /\n\s+at /, 'the stack keeps its lines');
    for (const run of [failed, traceback]) {
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(run.stdout, /[\u001b\u202e]/, 'no raw escape or bidi override reaches the terminal');
    }
  });

  test('status with a worker lists it and exits 0', async () => {
    const status = await runCli(['status'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^-> cli@test: OK \(queues: celery/m);
    assert.match(status.stdout, /^1 node online\.$/m);
  });

  test('kwargs, @file arguments and call --wait', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-cli-'));
    const file = path.join(dir, 'args.json');
    writeFileSync(file, '[1.5]');
    const call = await runCli(['call', 'gwqueue.tasks.core.add', `--args=@${file}`, '--kwargs={"y": 2}', '--wait', '10'], env);
    assert.equal(call.code, 0, call.stderr);
    assert.equal(call.stdout.trim(), '3.5');
  });

  test('a circular prints as its text (call --wait, result, --raw); result --json keeps the JSON', async () => {
    const subject = 'LIGO/Virgo/KAGRA S240101a: Updated Sky localization';
    const body = 'We have an updated sky map.\n\nIt is public.';
    const text = `SUBJECT: ${subject}\n\n${body}\n`;
    const circular = { superevent_id: 'S240101a', subject, body, text };
    // What a circular task returns, through echo: the terminal prints any task's circular result the same way.
    const call = await runCli(['call', 'gwqueue.tasks.core.echo', `--args=${JSON.stringify([circular])}`, '--wait', '10'], env);
    assert.equal(call.code, 0, call.stderr);
    assert.equal(call.stdout, text);
    const id = call.stderr.trim();
    assert.equal((await runCli(['result', id], env)).stdout, text);
    assert.equal((await runCli(['result', id, '--raw'], env)).stdout, text);
    assert.deepEqual(JSON.parse((await runCli(['result', id, '--json'], env)).stdout), circular);
  });

  test('a failed task: result exits 1 with the error, --traceback prints the stack', async () => {
    const call = await runCli(['call', 'gwqueue.tasks.core.raise_error', '--args=["kaboom"]'], env);
    const id = call.stdout.trim();
    const result = await runCli(['result', id, '--wait', '10'], env);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /gwqueue\.tasks\.core\.raise_error failed: kaboom/);
    const traceback = await runCli(['result', id, '--traceback'], env);
    assert.equal(traceback.code, 1);
    assert.match(traceback.stdout, /Error: kaboom\n\s+at /);
  });

  test('an unknown task ID: a clear message and exit 66', async () => {
    const result = await runCli(['result', '00000000-0000-4000-8000-000000000000'], env);
    assert.equal(result.code, 66);
    assert.match(result.stderr, /^gwqueue: no task with ID 00000000-0000-4000-8000-000000000000/);
  });

  test('usage errors exit 64 with one line and enqueue nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['call', 'gwqueue.tasks.core.pong'], /unknown task "gwqueue\.tasks\.core\.pong"; did you mean "gwqueue\.tasks\.core\.ping"/],
      [['call', 'gwqueue.tasks.core.add', '--args=[1,'], /--args is not valid JSON/],
      [['call', 'gwqueue.tasks.core.add', '--args={"x":1}'], /--args must be a JSON array/],
      [['call', 'gwqueue.tasks.core.add', '--kwargs=[1]'], /--kwargs must be a JSON object/],
      [['call', 'gwqueue.tasks.core.add', '--args=["a", 2]'], /bad arguments for gwqueue\.tasks\.core\.add: x: /],
      [['call', 'gwqueue.tasks.core.add', '--args=[1,2]', '--countdown=soon'], /--countdown must be a number of seconds/],
      [['call', 'gwqueue.tasks.core.add', '--args=[1,2]', '--eta=yesterday'], /--eta must be an ISO 8601 date-time/],
      [['worker', '-c', 'many'], /-c must be a whole number/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    const before = await runCli(['call', 'gwqueue.tasks.core.ping'], env);
    for (const [args, message] of cases) {
      const run = await runCli(args, env);
      assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, `one-line message for ${args.join(' ')}: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(before.code, 0);
  });

  test('Redis unreachable: one line and exit 69', async () => {
    const port = await freePort();
    for (const args of [['call', 'gwqueue.tasks.core.ping'], ['status'], ['result', '00000000-0000-4000-8000-000000000000']]) {
      const run = await runCli(args, { ...env, REDIS_URL: `redis://127.0.0.1:${port}` });
      assert.equal(run.code, 69, run.stderr);
      assert.match(run.stderr, new RegExp(`^gwqueue: cannot connect to Redis at redis://127\\.0\\.0\\.1:${port}`));
      assert.equal(run.stderr.trim().split('\n').length, 1);
    }
  });

  test('a bad configuration value: one line naming the setting, exit 78', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ GWQUEUE_RESULT_TTL: 'a week' }, /^gwqueue: configuration error: GWQUEUE_RESULT_TTL: must be a whole number \(got "a week"\)$/],
      [{ REDIS_URL: 'http://example' }, /^gwqueue: configuration error: REDIS_URL: unsupported scheme "http:"/],
      [{ GWQUEUE_ENV: 'staging' }, /^gwqueue: configuration error: GWQUEUE_ENV: must be one of development, test, playground, production/],
      [{ GWQUEUE_ENV: 'production', GWQUEUE_SECRET_KEY: '' }, /GWQUEUE_SECRET_KEY: must be set/],
    ];
    for (const [bad, message] of cases) {
      const run = await runCli(['call', 'gwqueue.tasks.core.ping'], { ...env, ...bad });
      assert.equal(run.code, 78, run.stderr);
      assert.match(run.stderr.trim(), message);
    }
  });
});
