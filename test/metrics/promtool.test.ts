// Prometheus' own linter (`promtool check metrics`, Debian's prometheus package) passes a real worker's and the console's /metrics, and every task's series exists at 0 before its first run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import request from 'supertest';
import { freePort, type TestRedis } from '../helpers/redis-server.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { runCli, startCli } from '../helpers/cli.js';
import { parseExposition } from './prometheus-text.js';
import { allTasks } from '../../src/queue/registry.js';
import { TASK_STATES } from '../../src/metrics/metrics.js';
import { createApp } from '../../src/web/app.js';
import { createConsoleGraceDb } from '../../src/web/context.js';
import '../../src/tasks/index.js';

/** promtool reads the exposition on stdin; exit 0 and no output means no lint problem. */
function promtool(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool not runnable (Debian package prometheus): ${run.error.message}`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('promtool check metrics', () => {
  let redis: TestRedis;
  let engine: InProcess;
  let env: Record<string, string>;
  let worker: Awaited<ReturnType<typeof startCli>> | undefined;
  let metricsUrl: string;

  before(async () => {
    engine = await startInProcess({ env: { GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '0' } });
    redis = engine.redis;
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: engine.config.prefix, GWQUEUE_ENV: 'test', GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '0' };
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    worker = await startCli(['worker', '-n', 'promtool@test', '--metrics-port', String(port)], env, /consuming/);
  });
  after(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await engine?.stop();
  });

  test("a worker's series start at 0 for every task and state, so a task's first failure is an increase", async () => {
    const before = parseExposition(await (await fetch(metricsUrl)).text());
    const expected = allTasks().filter((task) => task.queue === 'celery');
    assert.ok(expected.length > 5, 'the celery queue has tasks');
    for (const task of expected) {
      for (const state of TASK_STATES)
        assert.equal(before.value('gwqueue_tasks_total', { task: task.name, queue: task.queue, state }), 0, `${task.name} ${state}`);
      assert.equal(before.value('gwqueue_task_runtime_seconds_count', { task: task.name }), 0);
    }
    const failing = await runCli(['call', 'gwqueue.tasks.core.raise_error', '--args=["first failure"]', '--wait', '10'], env);
    assert.equal(failing.code, 1, failing.stderr);
    const after = await eventually(
      async () => {
        const scraped = parseExposition(await (await fetch(metricsUrl)).text());
        return scraped.value('gwqueue_tasks_total', { task: 'gwqueue.tasks.core.raise_error', state: 'failed' }) === 1
          ? scraped
          : undefined;
      },
      5000,
      'the failure to be counted',
    );
    assert.equal(after.value('gwqueue_tasks_total', { task: 'gwqueue.tasks.core.add', state: 'failed' }), 0, 'others stay 0');
  });

  test("a real worker's /metrics passes promtool", async () => {
    const text = await (await fetch(metricsUrl)).text();
    assert.match(text, /^gwqueue_tasks_total\{/m);
    assert.match(text, /^nodejs_active_handles\{/m, 'the active handles by type are still there');
    assert.doesNotMatch(text, /^nodejs_active_\w+_total/m);
    const { status, output } = promtool(text);
    assert.equal(status, 0, output);
  });

  test("the console's /metrics passes promtool", async () => {
    const { gracedb } = createConsoleGraceDb(engine.config, engine.client.redis);
    const app = createApp({ config: engine.config, client: engine.client, gracedb, listenHost: '127.0.0.1' });
    const response = await request(app).get('/metrics').expect(200);
    assert.match(response.text, /^gwqueue_workers_online\{queue="celery"\} 1$/m);
    const { status, output } = promtool(response.text);
    assert.equal(status, 0, output);
  });
});
