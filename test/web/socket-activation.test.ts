// systemd's socket activation (LISTEN_FDS), through systemd-socket-activate: the console serves the socket it is given, and while it restarts a connection waits for the next process instead of being refused.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startRedis, type TestRedis } from '../helpers/redis-server.js';
import { BIN } from '../helpers/cli.js';
import { childrenOf } from '../helpers/processes.js';
import { eventually } from '../helpers/eventually.js';
import { CONSOLE_V8_FLAGS } from '../../src/web/cluster.js';
import { loadConfig } from '../../src/config/index.js';

/** One GET on a new connection; rejects on a refused connection (what socket activation is there to prevent). */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

interface Activated {
  child: ChildProcess;
  url: string;
  /** What systemd-socket-activate and the console said so far. */
  stderr(): string;
}

/**
 * `args` run as `systemd` would run the web unit's service behind its socket unit: the socket is bound by
 * systemd-socket-activate, which then becomes a loop that starts the console again whenever it exits (systemd's
 * Restart=), each process told that the socket is its own (LISTEN_PID). Resolves once the port is bound.
 */
async function activated(env: Record<string, string>, args: string[]): Promise<Activated> {
  const port = await freePort();
  const setenv = Object.entries(env).flatMap(([name, value]) => ['-E', `${name}=${value}`]);
  const loop = `while :; do sh -c 'LISTEN_PID=$$ exec "$@"' console "$@"; done`;
  const child = spawn(
    'systemd-socket-activate',
    ['-l', `127.0.0.1:${port}`, ...setenv, 'sh', '-c', loop, 'restarts', process.execPath, BIN, ...args],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const started = { child, url: `http://127.0.0.1:${port}`, stderr: () => stderr };
  try {
    await eventually(() => /Listening on 127\.0\.0\.1:\d+ as 3/.test(stderr), 10_000, 'systemd-socket-activate to bind the port');
  } catch (error) {
    await stopActivated(started);
    throw error;
  }
  return started;
}

/** Stops the restart loop, then the console it runs (killed first, the loop would start another). */
async function stopActivated({ child }: Activated): Promise<void> {
  const consoles = childrenOf(child.pid!);
  child.kill('SIGKILL');
  for (const pid of consoles) process.kill(pid, 'SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}

describe('the console on a socket passed by systemd', () => {
  let redis: TestRedis;
  let env: Record<string, string>;
  before(async () => {
    redis = await startRedis();
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: 'activated', GWQUEUE_ENV: 'test', GWQUEUE_LOG_LEVEL: 'silent' };
  });
  after(async () => {
    await redis?.stop();
  });

  test('it serves the passed socket; killed, a request made at once waits for the next process and is answered', async () => {
    const activator = await activated(env, ['web']);
    const { url, stderr } = activator;
    const pid = activator.child.pid!;
    try {
      // The first connection starts the console (systemd-socket-activate execs on it): it waits in the backlog until served.
      assert.equal((await get(`${url}/healthz`)).status, 200, stderr());
      await eventually(() => /console at (http:\/\/\S+)/.exec(stderr())?.[1] === url, 10_000, 'the address said');
      const [first] = childrenOf(pid);
      assert.ok(first, 'the console runs under the restart loop');
      process.kill(first, 'SIGKILL');
      await eventually(() => !childrenOf(pid).includes(first), 10_000, 'the console gone');
      // Nothing listens now but the socket systemd holds: the request waits in its backlog, it is not refused.
      const answer = await get(`${url}/healthz`);
      assert.equal(answer.status, 200, answer.body);
      const [second] = childrenOf(pid);
      assert.ok(second && second !== first, `a new console process served it (${first} → ${second})`);
    } finally {
      await stopActivated(activator);
    }
  });

  for (const fault of ['refused', 'hung (SIGSTOP)'] as const) {
    test(`Redis ${fault}: the console takes up the socket after its bounded wait for Redis and says the truth`, async () => {
      const hung = fault === 'refused' ? undefined : await startRedis();
      hung?.freeze();
      const redisUrl = hung?.url ?? `redis://127.0.0.1:${await freePort()}`;
      const activator = await activated(
        { ...env, REDIS_URL: redisUrl, REDIS_CONNECT_TIMEOUT_MS: '1000', REDIS_COMMAND_TIMEOUT_MS: '1000' },
        ['web'],
      );
      const { url, stderr } = activator;
      try {
        // Alive, not ready: the request waited in the backlog for the console's bounded start, then got an answer.
        const started = Date.now();
        assert.equal((await get(`${url}/healthz`)).status, 200, stderr());
        const ready = await get(`${url}/readyz`);
        assert.equal(ready.status, 503, ready.body);
        assert.match(ready.body, /redis/i);
        assert.ok(Date.now() - started < 15_000, `answered within the bounds (${Date.now() - started} ms)`);
      } finally {
        await stopActivated(activator);
        hung?.thaw();
        await hung?.stop();
      }
    });
  }

  test("the development profile's local user is never taken on a passed socket (its address may be any)", async () => {
    const activator = await activated({ ...env, GWQUEUE_ENV: 'development', GWQUEUE_LOCAL_USER: 'true' }, ['web']);
    try {
      const page = await get(`${activator.url}/`);
      assert.equal(page.status, 200, activator.stderr());
      assert.ok(!page.body.includes(`${os.userInfo().username}@${os.hostname()}`), 'no local user on the page');
    } finally {
      await stopActivated(activator);
    }
  });

  test('a passed socket with several console processes, several sockets, or --port: one line, exit 78, nothing served', async () => {
    // sh sets LISTEN_PID to the pid that node then has (exec); no socket is needed: the start stops before listening.
    const run = (listenFds: string, args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn('sh', ['-c', `LISTEN_PID=$$ LISTEN_FDS=${listenFds} exec "$@"`, 'sh', process.execPath, BIN, ...args], {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('close', (code) => resolve({ code, stderr }));
      });
    for (const [listenFds, args, says] of [
      ['1', ['web', '--processes', '2'], /run one console process, not 2/],
      ['2', ['web'], /LISTEN_FDS: the console listens on one socket; systemd passed "2"/],
      ['1', ['web', '--port', '5999'], /drop --port and --host/],
    ] as const) {
      const { code, stderr } = await run(listenFds, [...args]);
      assert.equal(code, 78, stderr);
      assert.match(stderr, says);
      assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
    }
  });

  test("the example units: the web unit runs one console process with the console's V8 flags, on its socket unit's port", () => {
    const unit = (name: string) => readFileSync(path.join(import.meta.dirname, '..', '..', 'deploy', 'systemd', name), 'utf8');
    const service = unit('gwqueue-web.service');
    const exec = /^ExecStart=(.*)$/m.exec(service)![1].split(/\s+/);
    const at = exec.findIndex((word) => word.endsWith('/bin/gwqueue.js'));
    assert.deepEqual(exec.slice(1, at), [...CONSOLE_V8_FLAGS], 'the flags a cluster would give its processes');
    assert.deepEqual(exec.slice(at + 1), ['web'], 'one process: socket activation allows no other (web.ts)');
    assert.match(service, /^Requires=gwqueue-web\.socket$/m);
    assert.match(service, /^Restart=always$/m);
    const { host, port } = loadConfig({}).web;
    assert.match(
      unit('gwqueue-web.socket'),
      new RegExp(`^ListenStream=${host.replaceAll('.', '\\.')}:${port}$`, 'm'),
      'the default address',
    );
    assert.match(unit('gwqueue.target'), /^Wants=.*\bgwqueue-web\.socket\b/m);
  });
});
