// A long-running command (worker, web, web -P N, flower, dev) answers its first SIGTERM within the shutdown bound at every moment of its start, Redis refused or hung, and a second one at once; an outage is logged once, then at a slowing rate.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { spawnCli, stopTimed } from '../helpers/cli.js';
import { childrenOf, connectedTo } from '../helpers/processes.js';
import { outageLines } from '../../src/redis/outage-log.js';
import { connectClient } from '../../src/queue/client.js';
import { setCurrentClient } from '../../src/queue/current-client.js';
import { sleep } from '../../src/tasks/core.js';

const SHUTDOWN_MS = 2000;
/** GWQUEUE_SHUTDOWN_TIMEOUT_MS + 1 s, as docs/cli.md promises. */
const BOUND_MS = SHUTDOWN_MS + 1000;

type Started = ReturnType<typeof spawnCli>;

/** Port 1: nothing listens there (a free port picked now could be taken by another test's Redis meanwhile). */
const REFUSED_URL = 'redis://127.0.0.1:1/0';

describe('SIGTERM while a long-running command starts', () => {
  let hung: TestRedis;
  let refusedUrl: string;
  let env: Record<string, string>;
  before(async () => {
    hung = await startRedis();
    hung.freeze();
    refusedUrl = REFUSED_URL;
    env = {
      GWQUEUE_PREFIX: testConfig(hung.url).prefix,
      GWQUEUE_ENV: 'test',
      GWQUEUE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_MS),
      // A hung Redis keeps the start waiting far past the bound: only the stop request can end it.
      REDIS_CONNECT_TIMEOUT_MS: '60000',
      GWQUEUE_LOG_LEVEL: 'warn',
    };
  });
  after(async () => {
    hung.thaw();
    await hung.stop();
  });

  /** The moments a stop can come, each an event seen from outside the process. */
  const moments = {
    'at once (before main has run)': async () => {},
    'once it has logged that Redis is unreachable': async (started: Started) => {
      await eventually(
        () => /Redis at \S+ unreachable \((connect ECONNREFUSED|connected, but no answer within)/.test(started.output()),
        20_000,
        'the outage line',
      );
    },
    'once it is connected to the hung Redis': async (started: Started) => {
      const port = Number(new URL(hung.url).port);
      await eventually(() => connectedTo(started.child.pid!, port), 20_000, 'a connection to the hung Redis');
    },
    'once every console process is connected to the hung Redis': async (started: Started) => {
      const port = Number(new URL(hung.url).port);
      await eventually(
        () => {
          const children = childrenOf(started.child.pid!);
          return children.length === 2 && children.every((pid) => connectedTo(pid, port));
        },
        20_000,
        'two console processes connected to the hung Redis',
      );
    },
  } as const;

  const cases: [command: string[], redis: 'refused' | 'hung', moment: keyof typeof moments][] = [
    [['worker', '-n', 'start-stop@test'], 'refused', 'at once (before main has run)'],
    [['worker', '-n', 'start-stop@test'], 'refused', 'once it has logged that Redis is unreachable'],
    [['worker', '-n', 'start-stop@test'], 'hung', 'once it is connected to the hung Redis'],
    [['worker', '-n', 'start-stop@test'], 'hung', 'once it has logged that Redis is unreachable'],
    [['web', '-p', '0'], 'hung', 'once it is connected to the hung Redis'],
    [['web', '-p', '0', '-P', '2'], 'hung', 'once every console process is connected to the hung Redis'],
    [['flower', '-p', '0'], 'hung', 'once it is connected to the hung Redis'],
    [['dev', '-p', '0'], 'refused', 'once it has logged that Redis is unreachable'],
    [['dev', '-p', '0'], 'hung', 'once it is connected to the hung Redis'],
  ];
  for (const [command, redis, moment] of cases) {
    test(`${command.join(' ')}, Redis ${redis}, SIGTERM ${moment}: it stops within the bound`, async (t) => {
      const started = spawnCli(command, {
        ...env,
        REDIS_URL: redis === 'hung' ? hung.url : refusedUrl,
        // Told after the connect timeout when Redis accepts the connection and never answers.
        ...(redis === 'hung' && moment.includes('logged') ? { REDIS_CONNECT_TIMEOUT_MS: '500' } : {}),
      });
      try {
        await moments[moment](started);
        const { code, ms } = await stopTimed(started, 20_000);
        t.diagnostic(`figures: ${JSON.stringify({ command: command.join(' '), redis, moment, exitCode: code, secondsToExit: ms / 1000 })}`);
        assert.ok(ms <= BOUND_MS, `exited after ${ms} ms (bound ${BOUND_MS} ms)\n${started.output()}`);
        if (moment.startsWith('at once')) {
          // Before main's first line Node's own SIGTERM ends it; from there on, our handler: either is an answer.
          assert.ok(code === 0 || code === null, `exit code ${code}\n${started.output()}`);
        } else {
          assert.equal(code, 0, started.output());
          assert.match(started.output(), /gwqueue: stopped \(SIGTERM\) while starting/);
          assert.doesNotMatch(started.output(), /\n\s+at \S/, 'no stack trace');
          assert.doesNotMatch(
            started.output(),
            /did not finish within|leaving without it/,
            'the stop ended by itself, not by the backstop',
          );
        }
      } finally {
        started.child.kill('SIGKILL');
      }
    });
  }

  test('web, Redis refused: it serves (answering what it can without Redis) with no stack trace, and SIGTERM stops it', async () => {
    const started = spawnCli(['web', '-p', '0'], { ...env, REDIS_URL: refusedUrl });
    try {
      const url = (await eventually(() => /gwqueue: console at (\S+)/.exec(started.output())?.[1], 20_000, 'the console listening'))!;
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const { code, ms } = await stopTimed(started, 20_000);
      assert.ok(ms <= BOUND_MS, `exited after ${ms} ms (bound ${BOUND_MS} ms)`);
      assert.equal(code, 0, started.output());
      assert.match(started.output(), /Redis at \S+ unreachable/);
      assert.doesNotMatch(started.output(), /\n\s+at \S/, 'no stack trace (the token limiter loads its script once Redis answers)');
    } finally {
      started.child.kill('SIGKILL');
    }
  });
});

describe('a worker started while Redis is away', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  test('says so once, says when Redis is back, then consumes; its outage log is bounded by the schedule', async (t) => {
    await redis.kill();
    const begun = Date.now();
    const worker = spawnCli(['worker', '-n', 'outage@test'], {
      REDIS_URL: redis.url,
      GWQUEUE_PREFIX: testConfig(redis.url).prefix,
      GWQUEUE_ENV: 'test',
      GWQUEUE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_MS),
      GWQUEUE_LOG_LEVEL: 'info',
    });
    try {
      await eventually(() => /Redis at \S+ unreachable/.test(worker.output()), 20_000, 'the outage line');
      const failures = () => Number(/(\d+) failed attempts/.exec(worker.output())?.[1] ?? 0);
      await redis.restart();
      await eventually(() => /consuming/.test(worker.output()), 20_000, 'the worker consuming');
      const outageS = (Date.now() - begun) / 1000;
      const lines = worker.output().split('\n');
      const unreachable = lines.filter((line) => /Redis at \S+ unreachable/.test(line));
      const summaries = lines.filter((line) => /still unreachable/.test(line));
      const back = lines.filter((line) => /reachable again after \d+ s \(\d+ failed attempts\)/.test(line));
      t.diagnostic(
        `figures: ${JSON.stringify({ outageS, unreachable: unreachable.length, summaries: summaries.length, back: back.length, failures: failures() })}`,
      );
      assert.equal(unreachable.length, 1, 'one line when Redis went away, for all of its connections');
      assert.equal(back.length, 1, 'one line when it is back');
      assert.ok(unreachable.length + summaries.length + back.length <= outageLines(outageS), 'within the schedule');
      assert.doesNotMatch(worker.output(), /worker connection error/, 'no line per queue per attempt');
      const { code, ms } = await stopTimed(worker);
      assert.equal(code, 0, worker.output());
      assert.ok(ms <= BOUND_MS, `${ms} ms`);
    } finally {
      worker.child.kill('SIGKILL');
    }
  });
});

describe('a second SIGTERM', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  test('while the worker finishes an active task, it leaves at once (exit 1), the task left to be picked up again', async () => {
    const config = testConfig(redis.url);
    const client = await connectClient(config);
    const worker = spawnCli(['worker', '-n', 'second@test', '-Q', sleep.queue], {
      REDIS_URL: redis.url,
      GWQUEUE_PREFIX: config.prefix,
      GWQUEUE_ENV: 'test',
      GWQUEUE_SHUTDOWN_TIMEOUT_MS: '60000',
    });
    try {
      await eventually(() => /consuming/.test(worker.output()), 20_000, 'the worker consuming');
      await client.apply(sleep.s(60));
      await eventually(async () => (await client.queue(sleep.queue).getJobCounts('active')).active === 1, 10_000, 'the task running');
      worker.child.kill('SIGTERM');
      await eventually(() => /finishing active tasks/.test(worker.output()), 10_000, 'the graceful stop begun');
      const { code, ms } = await stopTimed(worker, 20_000);
      assert.equal(code, 1, worker.output());
      assert.match(worker.output(), /second SIGTERM: leaving now/);
      assert.ok(ms <= 1000, `${ms} ms`);
    } finally {
      worker.child.kill('SIGKILL');
      await client.close();
      setCurrentClient(undefined);
    }
  });
});
