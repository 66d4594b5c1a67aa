// `gwqueue web --processes 2`: one port, a process given requests (and the address said) only once it serves, sessions and CSRF shared across processes, a dead process replaced, SIGTERM stops all.
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, type TestRedis } from '../helpers/redis-server.js';
import { eventually } from '../helpers/eventually.js';
import { runCli, spawnCli, startCli } from '../helpers/cli.js';
import { childrenOf, connectedTo } from '../helpers/processes.js';
import { startReplyCutProxy } from '../helpers/reply-cut-proxy.js';
import { startProcesses, type Processes } from '../helpers/real-processes.js';
import { CONSOLE_V8_FLAGS, consoleExecArgv } from '../../src/web/cluster.js';

interface Answer {
  status: number;
  location: string;
  cookie: string;
  body: string;
}

/** One request on a NEW connection each time, so the cluster's round-robin spreads them over the processes. */
function request(url: string, options: { method?: string; cookie?: string; form?: Record<string, string> } = {}): Promise<Answer> {
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? 'GET',
        agent: false,
        headers: {
          ...(options.cookie ? { Cookie: options.cookie } : {}),
          ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            location: String(res.headers.location ?? ''),
            cookie: (res.headers['set-cookie'] ?? [])[0]?.split(';')[0] ?? '',
            body: text,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('console in several processes', () => {
  let environment: Processes;
  let redis: TestRedis;
  let env: Record<string, string>;

  before(async () => {
    environment = await startProcesses({ env: { GWQUEUE_PREFIX: 'cluster' } });
    redis = environment.redis;
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: 'cluster', GWQUEUE_ENV: 'test', GWQUEUE_LOCAL_USER: 'true' };
  });
  after(async () => {
    await environment?.stop();
  });

  test('two processes share the port and the session: every form posted on a fresh connection is accepted; one killed is replaced; SIGTERM stops all', async () => {
    const web = await startCli(['web', '--port', '0', '--processes', '2'], env, /console at http:\/\/\S+ \(2 processes\)/, 30_000);
    const url = /console at (http:\/\/\S+)/.exec(web.output())![1];
    const primary = web.child.pid!;
    try {
      const workers = await eventually(
        () => (childrenOf(primary).length === 2 ? childrenOf(primary) : undefined),
        10_000,
        'two console processes',
      );
      // Each console process runs with the console's heap sizing (cluster.ts consoleExecArgv), the primary without.
      const argv = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      for (const pid of workers)
        for (const flag of CONSOLE_V8_FLAGS) assert.ok(argv(pid).includes(flag), `console process ${pid} has no ${flag}: ${argv(pid)}`);
      assert.ok(!argv(primary).some((arg) => CONSOLE_V8_FLAGS.some((flag) => arg.startsWith(flag.split('=')[0]))));
      let cookie = '';
      const accepted: string[] = [];
      for (let i = 0; i < 6; i++) {
        const page = await request(`${url}/`, { cookie });
        assert.equal(page.status, 200);
        cookie ||= page.cookie;
        const form = page.body.slice(page.body.indexOf('action="/send_mock_event"'));
        const csrf = /name="_csrf" value="([^"]+)"/.exec(form)![1];
        const token = /name="submission_token" value="([^"]+)"/.exec(form)![1];
        const posted = await request(`${url}/send_mock_event`, {
          method: 'POST',
          cookie,
          form: { _csrf: csrf, submission_token: token, confirmed: 'yes' },
        });
        // With a key per process, half of these would be refused: a session signed by one process is unknown to the other.
        assert.equal(posted.status, 303, `submission ${i + 1}: ${posted.status} ${posted.body.slice(0, 200)}`);
        assert.match(posted.location, /^\/tasks\/[0-9a-f-]{36}$/);
        accepted.push(posted.location);
      }
      assert.equal(new Set(accepted).size, 6, 'six distinct tasks');

      // Whichever process serves a scrape answers for both: the counters only grow, however the scrapes are spread.
      let cpuBefore = 0;
      for (let i = 0; i < 6; i++) {
        const metrics = await request(`${url}/metrics`);
        assert.equal(metrics.status, 200, metrics.body);
        assert.match(metrics.body, /^gwqueue_processes\{role="web"\} 2$/m, 'both console processes are counted');
        assert.match(metrics.body, /^gwqueue_redis_up 1$/m, "the deployment's metrics follow");
        const cpu = Number(/^process_cpu_seconds_total (\S+)$/m.exec(metrics.body)?.[1]);
        assert.ok(cpu >= cpuBefore, `process_cpu_seconds_total never goes back (${cpuBefore} → ${cpu})`);
        cpuBefore = cpu;
      }

      process.kill(workers[0], 'SIGKILL');
      const replaced = await eventually(
        () => {
          const now = childrenOf(primary);
          return now.length === 2 && !now.includes(workers[0]) ? now : undefined;
        },
        30_000,
        'a replacement console process',
      );
      assert.ok(replaced.includes(workers[1]), 'the other process kept running');
      for (let i = 0; i < 4; i++) assert.equal((await request(`${url}/healthz`)).status, 200);
      // A process still starting is left out of a scrape (it does not hold it up); once ready it is counted.
      await eventually(
        async () => /^gwqueue_processes\{role="web"\} 2$/m.test((await request(`${url}/metrics`)).body),
        30_000,
        'the replacement to be counted',
      );
      assert.match(web.output(), new RegExp(`console process ${workers[0]} exited \\(SIGKILL\\)`));

      web.child.kill('SIGTERM');
      assert.equal(await web.exited, 0);
      for (const pid of replaced) assert.throws(() => process.kill(pid, 0), 'every console process has exited');
    } finally {
      web.child.kill('SIGKILL');
    }
  });

  test('a console process still starting takes no request: the console is announced once every process serves, and a replacement gets requests once it serves', async () => {
    const proxy = await startReplyCutProxy(Number(new URL(redis.url).port));
    const proxyPort = Number(new URL(proxy.url).port);
    const url = `http://127.0.0.1:${await freePort()}`;
    // The first Redis connection made is a console process's: held, that process stays starting until released (the
    // Redis bounds are raised so that it does not give up waiting and start without Redis meanwhile).
    const slow = proxy.holdNextConnection();
    const web = spawnCli(['web', '--port', new URL(url).port, '--processes', '2'], {
      ...env,
      REDIS_URL: proxy.url,
      REDIS_CONNECT_TIMEOUT_MS: '120000',
      REDIS_COMMAND_TIMEOUT_MS: '120000',
    });
    try {
      await slow.accepted;
      await eventually(async () => (await request(`${url}/healthz`)).status === 200, 30_000, 'the other console process to serve');
      // The port serves, but one process is still starting: the console is not said to listen, and that process is
      // given none of the requests (each on a fresh connection, spread by the cluster over the processes listening).
      assert.doesNotMatch(web.output(), /console at/, 'announced while a console process was still starting');
      for (let i = 0; i < 6; i++) {
        const answer = await request(`${url}/healthz`);
        assert.equal(answer.status, 200, `request ${i + 1} while a process starts: ${answer.status} ${answer.body}`);
      }
      slow.release();
      await eventually(() => /console at http:\/\/\S+ \(2 processes\)/.test(web.output()), 30_000, 'the console announced');
      const workers = childrenOf(web.child.pid!);
      assert.equal(workers.length, 2);

      // A replacement for a process that died is given requests only once it serves too.
      const late = proxy.holdNextConnection();
      process.kill(workers[0], 'SIGKILL');
      await late.accepted;
      const replacement = childrenOf(web.child.pid!).find((pid) => !workers.includes(pid));
      assert.ok(
        replacement && connectedTo(replacement, proxyPort),
        'the replacement is connected to Redis (its first connection, the one held)',
      );
      for (let i = 0; i < 6; i++) {
        const answer = await request(`${url}/healthz`);
        assert.equal(answer.status, 200, `request ${i + 1} while the replacement starts: ${answer.status} ${answer.body}`);
      }
      late.release();
      await eventually(
        async () => /^gwqueue_processes\{role="web"\} 2$/m.test((await request(`${url}/metrics`)).body),
        30_000,
        'the replacement to be counted',
      );
      web.child.kill('SIGTERM');
      assert.equal(await web.exited, 0, web.output());
    } finally {
      web.child.kill('SIGKILL');
      await proxy.close();
    }
  });

  test("the console processes' heap flags each give way to the operator's own", () => {
    assert.deepEqual(consoleExecArgv([], ''), ['--max-semi-space-size=2', '--heap-growing-percent=50', '--v8-pool-size=1']);
    assert.deepEqual(consoleExecArgv(['--max-semi-space-size=16'], ''), [
      '--max-semi-space-size=16',
      '--heap-growing-percent=50',
      '--v8-pool-size=1',
    ]);
    assert.deepEqual(consoleExecArgv(['--enable-source-maps'], '--max-semi-space-size=8'), [
      '--enable-source-maps',
      '--heap-growing-percent=50',
      '--v8-pool-size=1',
    ]);
    assert.deepEqual(consoleExecArgv(['--heap-growing-percent=0', '--v8-pool-size=4'], '--max-semi-space-size=8'), [
      '--heap-growing-percent=0',
      '--v8-pool-size=4',
    ]);
  });

  test('--processes outside 1..64 is a usage error (exit 64), and nothing starts', async () => {
    for (const bad of ['0', 'two', '65', '1.5']) {
      const result = await runCli(['web', '--port', '0', '--processes', bad], env);
      assert.equal(result.code, 64, `--processes ${bad}: ${result.stderr}`);
      assert.match(result.stderr, /--processes must be a whole number from 1 to 64/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});
