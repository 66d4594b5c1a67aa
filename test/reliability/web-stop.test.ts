// Stopping always works: real `gwqueue web` (one process, and --processes 2), `flower` and `dev` exit on SIGTERM within their shutdown timeout + 1 s with Redis SIGKILLed or hung (SIGSTOP), and say what they could not finish.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { runCli, startCli, stopTimed } from '../helpers/cli.js';
import { childrenOf } from '../helpers/processes.js';

const SHUTDOWN_MS = 2000;
const BOUND_MS = SHUTDOWN_MS + 1000;
// A loaded 2-core box (other test files run beside this one) may take a few hundred ms more to schedule the exit and
// for the test to see it; the bound itself is the feature's (timeout + 1 s), the slack is only for the measurement.
const SLACK_MS = 500;

/**
 * Opens a connection to the server and sends half a request (headers never finished): a client the server can only
 * drop, which `server.close()` alone would wait for (Node's headersTimeout, 60 s), and one idle keep-alive connection.
 */
async function holdConnections(url: string): Promise<net.Socket[]> {
  const { hostname, port } = new URL(url);
  const open = () =>
    new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => resolve(socket));
      socket.on('error', () => {});
      socket.once('error', reject);
    });
  const half = await open();
  half.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\nX-Slow: `);
  const idle = await open();
  await new Promise<void>((resolve) => {
    idle.once('data', () => resolve());
    idle.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\nConnection: keep-alive\r\n\r\n`);
  });
  return [half, idle];
}

/** The steps a process logged it could not finish (pino JSON lines on stdout). */
const unfinished = (output: string): string[] =>
  output
    .split('\n')
    .filter((line) => line.includes('not finished in time'))
    .map((line) => {
      try {
        return String((JSON.parse(line) as { what?: string }).what);
      } catch {
        return line;
      }
    });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface Case {
  name: string;
  args: string[];
  ready: RegExp;
  /** Where the process printed its address (the page it serves). */
  url?: RegExp;
  cluster?: boolean;
}

const CASES: Case[] = [
  { name: 'web', args: ['web', '--port', '0'], ready: /console at http:\/\/\S+/, url: /console at (http:\/\/\S+)/ },
  {
    name: 'web --processes 2',
    args: ['web', '--port', '0', '--processes', '2'],
    ready: /console at http:\/\/\S+ \(2 processes\)/,
    url: /console at (http:\/\/\S+)/,
    cluster: true,
  },
  { name: 'flower', args: ['flower', '--port', '0'], ready: /dashboard at http:\/\/\S+/, url: /dashboard at (http:\/\/\S+)/ },
  { name: 'dev', args: ['dev', '--port', '0'], ready: /ready\. Press Ctrl-C/, url: /console at (http:\/\/\S+)/ },
];

describe('web, flower and dev stop with Redis away', () => {
  const servers: TestRedis[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
  });

  for (const { name, args, ready, url, cluster } of CASES) {
    for (const fault of ['SIGKILL', 'SIGSTOP'] as const) {
      test(`${name}, Redis ${fault}ed, clients waiting and holding half-sent requests: SIGTERM ends it within the shutdown timeout + 1 s`, async (t) => {
        const redis = await startRedis();
        servers.push(redis);
        const config = testConfig(redis.url);
        const env = {
          REDIS_URL: redis.url,
          GWQUEUE_PREFIX: config.prefix,
          GWQUEUE_ENV: 'test',
          GWQUEUE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_MS),
          GWQUEUE_HEARTBEAT_MS: '200',
        };
        const proc = await startCli(args, { ...env, GWQUEUE_LOG_LEVEL: 'warn' }, ready, 40_000);
        const pid = proc.child.pid!;
        const children = cluster
          ? await eventually(() => (childrenOf(pid).length === 2 ? childrenOf(pid) : undefined), 10_000, 'two console processes')
          : [];
        const address = url!.exec(proc.output())![1];
        // A client waiting for a task's result (held on the console's queue-events connection), one holding a
        // half-sent request, and an idle keep-alive connection, all open when SIGTERM comes.
        const called = await runCli(['call', 'gwqueue.tasks.core.add', '--args', '[1, 2]', '--countdown', '600'], env, {
          timeoutMs: 30_000,
        });
        assert.equal(called.code, 0, called.stderr);
        const waiting = fetch(`${address.replace(/\/$/, '')}/api/tasks/${called.stdout.trim()}?wait=30`).then(
          (res) => res.status,
          () => 'cut',
        );
        const sockets = await holdConnections(address);
        if (fault === 'SIGKILL') await redis.kill();
        else redis.freeze();
        const { code, ms } = await stopTimed(proc);
        sockets.forEach((socket) => socket.destroy());
        const waited = await waiting;
        // The console processes of a cluster end with their primary (they are told to stop first).
        const orphans = await eventually(
          () => {
            const left = children.filter(alive);
            return left.length ? undefined : left;
          },
          2000,
          'console processes gone',
        ).catch(() => children.filter(alive));
        children.filter(alive).forEach((child) => process.kill(child, 'SIGKILL'));
        redis.thaw();
        t.diagnostic(
          `figures: ${JSON.stringify({ command: name, fault, exitCode: code, secondsToExit: ms / 1000, boundSeconds: BOUND_MS / 1000, slackSeconds: SLACK_MS / 1000, waitingClient: waited, unfinished: unfinished(proc.output()) })}`,
        );
        // By itself (not killed), and 1: the stop was cut short (a request could not finish), as a worker's is.
        assert.equal(code, 1, `exit code (null: it was killed):\n${proc.output()}`);
        assert.ok(ms <= BOUND_MS + SLACK_MS, `exited after ${ms} ms (bound ${BOUND_MS} ms + ${SLACK_MS} ms slack):\n${proc.output()}`);
        assert.deepEqual(orphans, [], 'no console process outlived the primary');
        assert.ok(unfinished(proc.output()).includes('requests in flight'), `it said what it could not finish:\n${proc.output()}`);
      });
    }
  }
});
