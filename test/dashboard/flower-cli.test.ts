// `gwqueue flower` as a real process: its port and URL prefix, the dashboard's assets, and history that survives restarting it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, type TestRedis } from '../helpers/redis-server.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { runCli, startCli } from '../helpers/cli.js';
import { add, raiseError } from '../../src/tasks/core.js';

describe('gwqueue flower', () => {
  let redis: TestRedis;
  let engine: InProcess;
  let env: Record<string, string>;

  before(async () => {
    engine = await startInProcess();
    redis = engine.redis;
    const { config } = engine;
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: config.prefix, GWQUEUE_ENV: 'test', GWQUEUE_LOCAL_USER: 'true' };
  });
  after(async () => {
    await engine?.stop();
  });

  const startFlower = async (args: string[]) => {
    const port = await freePort();
    const flower = await startCli(['flower', '--port', String(port), ...args], env, /dashboard at/);
    return { ...flower, origin: `http://127.0.0.1:${port}` };
  };
  const stop = async (flower: Awaited<ReturnType<typeof startFlower>>) => {
    flower.child.kill('SIGTERM');
    assert.equal(await flower.exited, 0);
  };

  test('--port and --url-prefix: the dashboard, its assets and its API under the prefix', async () => {
    const flower = await startFlower(['--url-prefix', '/flower/']);
    try {
      assert.match(flower.output(), new RegExp(`dashboard at ${flower.origin}/flower/`));
      const home = await fetch(`${flower.origin}/flower/`);
      assert.equal(home.status, 200);
      const html = await home.text();
      assert.match(html, /<h2 class="h6 mb-0">Workers<\/h2>/);
      assert.match(html, /href="\/flower\/tasks"/);
      assert.match(html, /src="\/flower\/static\/js\/flower\.js"/);
      assert.match(home.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.equal((await fetch(`${flower.origin}/flower/static/js/flower.js`)).status, 200);
      assert.equal((await fetch(`${flower.origin}/flower/static/vendor/uplot/uPlot.iife.min.js`)).status, 200);
      assert.equal((await fetch(`${flower.origin}/static/vendor/bootstrap/css/bootstrap.min.css`)).status, 200);
      const root = await fetch(`${flower.origin}/`, { redirect: 'manual' });
      assert.equal(root.status, 302);
      assert.equal(root.headers.get('location'), '/flower/');
      assert.ok(Array.isArray(await (await fetch(`${flower.origin}/flower/api/queues`)).json()));
      assert.equal((await fetch(`${flower.origin}/flower/nope`)).status, 404);
    } finally {
      await stop(flower);
    }
  });

  test('history counters survive restarting the dashboard process; rows link to task pages it serves', async () => {
    const worker = await engine.startWorker({ name: 'history@test' });
    const handles = [...(await Promise.all(Array.from({ length: 8 }, (_, i) => add.delay(i, 1)))), await raiseError.delay('boom')];
    await Promise.all(handles.map((h) => h.get({ timeout: 10 }).catch(() => null)));
    await worker.stop();
    const totals = (origin: string) =>
      eventually(
        async () => {
          const response = await fetch(`${origin}/api/history?range=day`);
          return response.ok ? (await response.json()).summary.total : null;
        },
        5000,
        'the history',
      );
    const first = await startFlower([]);
    let before: { received: number; succeeded: number; failed: number };
    try {
      before = await totals(first.origin);
      assert.deepEqual([before.received, before.succeeded, before.failed], [9, 8, 1]);
      const tasks = await (await fetch(`${first.origin}/tasks?state=failed`)).text();
      const link = /href="(\/tasks\/[0-9a-f-]{36})"/.exec(tasks)?.[1];
      assert.ok(link, 'a failed row links to its task page');
      const page = await fetch(`${first.origin}${link}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /boom/);
    } finally {
      await stop(first);
    }
    const second = await startFlower([]);
    try {
      assert.deepEqual(await totals(second.origin), before);
    } finally {
      await stop(second);
    }
  });

  test('a bad --url-prefix is a usage error', async () => {
    const result = await runCli(['flower', '--url-prefix', 'a b'], env);
    assert.equal(result.code, 64);
    assert.match(result.stderr, /--url-prefix must be a path/);
  });
});
