// `gwqueue events`: --dump as a child process, and the full-screen monitor driven in a real pseudo-terminal (tmux, 80×24).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { freePort, type TestRedis } from '../helpers/redis-server.js';
import { BIN, runCli, startCli } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { startProcesses, type Processes } from '../helpers/real-processes.js';
import { type TaskClient } from '../../src/queue/client.js';
import { listAudit } from '../../src/audit/audit-log.js';
import type { Config } from '../../src/config/index.js';

const SOCKET = `gwqueue-test-${process.pid}`;
const tmux = (...args: string[]) => spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = (session: string, colours = false) => tmux('capture-pane', '-p', ...(colours ? ['-e'] : []), '-t', session).stdout;
const keys = (session: string, ...names: string[]) => assert.equal(tmux('send-keys', '-t', session, ...names).status, 0);
const shellQuote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;
/** An API token of the configuration (GWQUEUE_API_TOKENS): a task's text that holds it is shown redacted. */
const TOKEN = 'tok-events-0123456789abcdefXYZ';

describe('gwqueue events', () => {
  let environment: Processes;
  let redis: TestRedis;
  let env: Record<string, string>;
  let config: Config;
  let client: TaskClient;
  let worker: Awaited<ReturnType<typeof startCli>> | undefined;

  /** Runs `gwqueue events` in a fresh 80×24 tmux session; afterwards the pane shows its exit code and the terminal modes. */
  const startScreen = (session: string) => {
    const vars = Object.entries({ ...env, GWQUEUE_LOG_LEVEL: 'silent' })
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' ');
    // `env -u CI`: colour detection turns colours off under CI, which is not what an operator's terminal does.
    const command = `env -u CI ${vars} ${shellQuote(process.execPath)} ${shellQuote(BIN)} events; echo "EXIT=$?"; stty -a; sleep 60`;
    const started = tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', command);
    assert.equal(started.status, 0, started.stderr);
  };
  /** Waits until the screen matches; on timeout the message shows the screen as it was last. */
  const showing = (session: string, pattern: RegExp, label: string) =>
    eventually(
      () => {
        if (!pattern.test(screen(session))) throw new Error(`screen:\n${screen(session)}`);
        return true;
      },
      10_000,
      label,
    );
  const call = async (args: string[]) => {
    const run = await runCli(['call', ...args], env);
    assert.equal(run.code, 0, run.stderr);
    return run.stdout.trim();
  };
  /** After the monitor exits: exit 0, the normal screen back (not the monitor's), and the terminal in cooked mode again. */
  const assertRestored = async (session: string) => {
    await showing(session, /EXIT=\d+[\s\S]*speed/, 'the monitor to exit');
    const text = screen(session);
    assert.match(text, /EXIT=0/);
    assert.doesNotMatch(text, /gwqueue events|j\/k move/, 'the alternate screen was left');
    assert.match(text, /(^|\s)icanon(\s|$)/m, 'canonical mode restored');
    assert.match(text, /(^|\s)echo(\s|$)/m, 'echo restored');
  };

  before(async () => {
    environment = await startProcesses();
    redis = environment.redis;
    config = environment.config;
    env = {
      REDIS_URL: redis.url,
      GWQUEUE_PREFIX: config.prefix,
      GWQUEUE_HEARTBEAT_MS: '200',
      GWQUEUE_ENV: 'test',
      GWQUEUE_API_TOKENS: `robot=${TOKEN}`,
    };
    client = environment.client;
    worker = await startCli(['worker', '-n', 'evw@test'], env, /consuming/);
  });
  after(async () => {
    tmux('kill-server');
    worker?.child.kill('SIGKILL');
    await environment?.stop();
  });

  test('--dump prints a task going from waiting to active to completed, one line per event; SIGINT ends it with 0', async () => {
    const dump = await startCli(['events', '--dump'], env, /listening for task events on celery, /);
    const id = await call(['gwqueue.tasks.core.add', '--args=[20, 22]']);
    await eventually(() => dump.output().includes(`${id} gwqueue.tasks.core.add completed`), 10_000, 'the completed event');
    const lines = dump
      .output()
      .split('\n')
      .filter((line) => line.includes(id));
    const events = lines.map((line) => line.split(' ')[4]);
    assert.deepEqual(
      events.filter((e) => ['waiting', 'active', 'completed'].includes(e)),
      ['waiting', 'active', 'completed'],
    );
    assert.match(
      lines.find((line) => line.includes(' completed'))!,
      /^\d{4}-\d\d-\d\dT[\d:.]+Z celery [0-9a-f-]{36} gwqueue\.tasks\.core\.add completed worker=evw@test result=42/,
    );
    dump.child.kill('SIGINT');
    assert.equal(await dump.exited, 0);
  });

  test('--dump --json: one JSON object per line, with the failure reason', async () => {
    const dump = await startCli(['events', '--dump', '--json'], env, /listening/);
    const id = await call(['gwqueue.tasks.core.raise_error', '--args=["kaboom"]']);
    await eventually(() => dump.output().includes('"event":"failed"'), 10_000, 'the failed event');
    const failed = dump
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
      .find((e) => e.event === 'failed');
    assert.equal(failed.id, id);
    assert.equal(failed.name, 'gwqueue.tasks.core.raise_error');
    assert.equal(failed.error, 'kaboom');
    assert.equal(failed.worker, 'evw@test');
    dump.child.kill('SIGTERM');
    assert.equal(await dump.exited, 0);
  });

  test('the monitor in an 80×24 terminal shows a new task coloured by state, its details and result, and quits cleanly on q', async () => {
    startScreen('tui');
    await showing('tui', /j\/k move/, 'the monitor');
    const id = await call(['gwqueue.tasks.core.add', '--args=[40, 2]']);
    const row = new RegExp(`^${id.slice(0, 8)} core\\.add +evw@test +\\d\\d:\\d\\d:\\d\\d completed`, 'm');
    await showing('tui', row, 'the task');
    const lines = screen('tui').split('\n');
    assert.match(lines[0], /^ gwqueue events /);
    assert.match(lines[1], /^ID +NAME +WORKER +TIME +STATE/);
    assert.match(lines[21], /^1 worker online .* completed \d+ .* failed \d+/);
    assert.match(lines[22], /^j\/k move .* q quit/);
    const coloured = screen('tui', true)
      .split('\n')
      .find((line) => line.includes(id.slice(0, 8)))!;
    assert.match(coloured, new RegExp(`${String.fromCharCode(27)}\\[(\\d+;)*32m`), 'a completed task is green');
    // Newest first: the new task is on top and selected.
    keys('tui', 'g', 'Enter');
    await showing('tui', new RegExp(`Task details of ${id}\n(.*\n)*args {6}\\[40,2\\]\n`), 'the details');
    assert.match(screen('tui'), /^result {4}42$/m);
    keys('tui', 'r');
    await showing('tui', new RegExp(`Result of ${id}\\n42\\n`), 'the result');
    keys('tui', 'Escape');
    await showing('tui', /^ID +NAME/m, 'the list again');
    keys('tui', 'q');
    await assertRestored('tui');
  });

  test("the monitor shows a failed task's arguments, error and traceback with a configured token redacted", async () => {
    startScreen('secret');
    await showing('secret', /j\/k move/, 'the monitor');
    const id = await call(['gwqueue.tasks.core.raise_error', '--args', JSON.stringify([`refused: Bearer ${TOKEN} and ${TOKEN}`])]);
    await showing('secret', new RegExp(`^${id.slice(0, 8)} core\\.raise_error .* failed`, 'm'), 'the failed task');
    const shown: string[] = [];
    keys('secret', 'g', 'Enter');
    await showing(
      'secret',
      new RegExp(`Task details of ${id}\n(.*\n)*args {6}\\["refused: Bearer \\[redacted\\] and \\[redacted\\]"\\]`),
      'the details',
    );
    assert.match(screen('secret'), /^error {5}refused: Bearer \[redacted\] and \[redacted\]$/m);
    shown.push(screen('secret'));
    keys('secret', 't');
    await showing('secret', new RegExp(`Traceback of ${id}\nError: refused: Bearer \\[redacted\\] and \\[redacted\\]\n`), 'the traceback');
    shown.push(screen('secret'));
    for (const text of shown) assert.ok(!text.includes(TOKEN.slice(0, 12)), `the token is on the screen:\n${text}`);
    keys('secret', 'Escape');
    await showing('secret', /^ID +NAME/m, 'the list again');
    keys('secret', 'q');
    await assertRestored('secret');
  });

  test('c cancels the selected task after a confirmation (audited); Ctrl-C quits and restores the terminal', async () => {
    startScreen('cancel');
    await showing('cancel', /j\/k move/, 'the monitor');
    const id = await call(['gwqueue.tasks.core.sleep', '--args=[1]', '--countdown=60']);
    await showing('cancel', new RegExp(`^${id.slice(0, 8)} core\\.sleep .* delayed`, 'm'), 'the delayed task');
    keys('cancel', 'g', 'c');
    await showing('cancel', new RegExp(`Cancel task ${id.slice(0, 8)} \\(core\\.sleep\\)\\? \\[y/N\\]`), 'the confirmation');
    keys('cancel', 'y');
    await showing('cancel', new RegExp(`^${id.slice(0, 8)} core\\.sleep .* removed`, 'm'), 'the task removed');
    assert.equal(await client.findJob(id), undefined);
    const { entries } = await listAudit(client.redis, config, { action: 'task.cancel', limit: 1 });
    assert.equal(entries[0].taskId, id);
    assert.equal(entries[0].outcome, 'accepted');
    keys('cancel', 'C-c');
    await assertRestored('cancel');
  });

  test('without a terminal it says to use --dump (64); with Redis down it exits 69', async () => {
    const run = await runCli(['events'], env);
    assert.equal(run.code, 64);
    assert.equal(run.stderr, 'gwqueue: events needs a terminal; use --dump to print events as lines\n');
    const port = await freePort();
    const down = await runCli(['events', '--dump'], { ...env, REDIS_URL: `redis://127.0.0.1:${port}` });
    assert.equal(down.code, 69);
    assert.equal(down.stderr.trim().split('\n').length, 1);
  });
});
