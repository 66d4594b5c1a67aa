// `gwqueue dev` as a new user runs it: embedded redis-server under the var dir, a worker, the console; Ctrl-C stops it all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, startCli } from '../helpers/cli.js';

test('dev starts its own Redis, a worker and the console, serves tasks, and stops everything on SIGINT', async () => {
  const varDir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-dev-'));
  const env = { GWQUEUE_VAR_DIR: varDir, GWQUEUE_ENV: 'development', REDIS_URL: '', GWQUEUE_LOG_LEVEL: 'silent' };
  try {
    const dev = await startCli(['dev', '--port', '0'], env, /ready\. Press Ctrl-C/, 20_000);
    const url = /console at (http:\/\/\S+)/.exec(dev.output())?.[1];
    assert.ok(url, dev.output());
    const socket = path.join(varDir, 'redis', 'redis.sock');
    assert.ok(existsSync(socket), 'the embedded Redis listens on a unix socket under the var dir');
    assert.ok(
      existsSync(path.join(varDir, 'redis', 'appendonlydir')) || existsSync(path.join(varDir, 'redis', 'appendonly.aof')),
      'AOF is on',
    );
    // Another terminal, same folder: call and result find the embedded Redis without REDIS_URL.
    const call = await runCli(['call', 'gwqueue.tasks.core.add', '--args=[2,3]', '--wait', '10'], env);
    assert.equal(call.code, 0, call.stderr);
    assert.equal(call.stdout.trim(), '5');
    const home = await fetch(`${url}/`);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /DANGER ZONE/);
    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0);
    const after = await runCli(['status'], env);
    assert.equal(after.code, 69, 'Redis stopped with dev');
  } finally {
    rmSync(varDir, { recursive: true, force: true });
  }
});

test('dev without redis-server installed says how to install it or set REDIS_URL', async () => {
  const varDir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-dev-'));
  try {
    // An empty PATH: node itself is started by its absolute path, but no redis-server can be found.
    const run = await runCli(['dev', '--port', '0'], { GWQUEUE_VAR_DIR: varDir, REDIS_URL: '', PATH: varDir });
    assert.equal(run.code, 69);
    assert.match(
      run.stderr,
      /^gwqueue: redis-server is not installed\. Install it \(Debian\/Ubuntu: apt-get install -y redis-server\) or set REDIS_URL/,
    );
  } finally {
    rmSync(varDir, { recursive: true, force: true });
  }
});
