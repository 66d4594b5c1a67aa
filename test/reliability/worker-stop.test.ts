// Stopping always works: a real `gwqueue worker` exits on SIGTERM within its shutdown timeout + 1 s with Redis SIGKILLed or hung (SIGSTOP), and says what it could not finish.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/engine.js';
import { startCli, stopTimed } from '../helpers/cli.js';

const SHUTDOWN_MS = 2000;
const BOUND_MS = SHUTDOWN_MS + 1000;

describe('worker stop with Redis away', () => {
  const servers: TestRedis[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
  });

  for (const fault of ['SIGKILL', 'SIGSTOP'] as const) {
    test(`Redis ${fault}ed: SIGTERM ends the worker within the shutdown timeout + 1 s`, async (t) => {
      const redis = await startRedis();
      servers.push(redis);
      const config = testConfig(redis.url);
      const worker = await startCli(
        ['worker', '-n', `stop-${fault}@test`],
        {
          REDIS_URL: redis.url,
          GWQUEUE_PREFIX: config.prefix,
          GWQUEUE_ENV: 'test',
          GWQUEUE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_MS),
          GWQUEUE_HEARTBEAT_MS: '200',
          GWQUEUE_LOG_LEVEL: 'warn',
        },
        /consuming/,
      );
      if (fault === 'SIGKILL') await redis.kill();
      else redis.freeze();
      const { code, ms } = await stopTimed(worker);
      t.diagnostic(`figures: ${JSON.stringify({ fault, exitCode: code, secondsToExit: ms / 1000, boundSeconds: BOUND_MS / 1000 })}`);
      assert.ok(ms <= BOUND_MS, `exited after ${ms} ms (bound ${BOUND_MS} ms)`);
      assert.notEqual(code, null, 'it exited by itself, not killed');
      assert.match(worker.output(), /not finished in time/, 'it said what it could not finish');
      redis.thaw();
    });
  }
});
