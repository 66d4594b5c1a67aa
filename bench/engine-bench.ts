// Engine benchmarks: submit→done latency of sequential pings, enqueue throughput, CLI wall times.
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/index.js';
import { connectClient } from '../src/queue/client.js';
import { ping } from '../src/tasks/core.js';
import '../src/tasks/index.js';
import { median, summarize, type Row } from './stats.js';
import { waitForOutput } from './processes.js';

const BIN = new URL('../bin/gwqueue.js', import.meta.url).pathname;

export async function benchEngine(redisUrl: string, options: { pings: number; enqueues: number }): Promise<Row[]> {
  const env = { ...process.env, REDIS_URL: redisUrl, GWQUEUE_PREFIX: 'bench', GWQUEUE_LOG_LEVEL: 'silent', GWQUEUE_ENV: 'test' };
  const config = loadConfig(env);
  const worker = spawn(process.execPath, [BIN, 'worker', '-n', 'bench@local'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  await waitForOutput(worker, /consuming/, 'worker');
  const client = await connectClient(config);
  const rows: Row[] = [];
  try {
    for (let i = 0; i < 20; i++) await (await ping.delay()).get({ timeout: 10 });
    const latencies: number[] = [];
    for (let i = 0; i < options.pings; i++) {
      const start = performance.now();
      await (await ping.delay()).get({ timeout: 10 });
      latencies.push(performance.now() - start);
    }
    const s = summarize(latencies);
    rows.push({ measure: `submit→done, ${options.pings} sequential pings (ms)`, p50: s.p50, p95: s.p95, p99: s.p99 });

    const start = performance.now();
    const batch = 64;
    for (let sent = 0; sent < options.enqueues; sent += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, options.enqueues - sent) }, () => ping.delay()));
    }
    const seconds = (performance.now() - start) / 1000;
    rows.push({
      measure: `enqueue throughput, ${options.enqueues} pings, 64 in flight (tasks/s)`,
      p50: options.enqueues / seconds,
      p95: '',
      p99: '',
    });
  } finally {
    await client.close();
    worker.kill('SIGTERM');
  }
  return rows;
}

/** Wall time of short CLI commands, node start included (median of 7); a worker runs so that nagios says OK. */
export async function benchCli(redisUrl: string): Promise<{ rows: Row[]; medians: { call: number; nagios: number } }> {
  const env = { ...process.env, REDIS_URL: redisUrl, GWQUEUE_PREFIX: 'benchcli', GWQUEUE_LOG_LEVEL: 'silent', GWQUEUE_ENV: 'test' };
  const worker = spawn(process.execPath, [BIN, 'worker', '-n', 'benchcli@local'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  await waitForOutput(worker, /consuming/, 'worker');
  const rows: Row[] = [];
  try {
    const called = spawnSync(process.execPath, [BIN, 'call', 'gwqueue.tasks.core.ping', '--wait', '10'], { env, encoding: 'utf8' });
    const id = called.stderr.trim().split('\n').at(-1) ?? '';
    rows.push(
      ...timeCommands(env, [
        ['`gwqueue --help`', ['--help'], [0]],
        ['`gwqueue call gwqueue.tasks.core.ping`', ['call', 'gwqueue.tasks.core.ping'], [0]],
        ['`gwqueue nagios` (healthy system)', ['nagios'], [0, 1]],
        ['`gwqueue status`', ['status'], [0]],
        ['`gwqueue result <id>` (a finished ping)', ['result', id], [0]],
      ]),
    );
  } finally {
    worker.kill('SIGTERM');
  }
  return { rows, medians: { call: Number(rows[1].p50), nagios: Number(rows[2].p50) } };
}

function timeCommands(env: NodeJS.ProcessEnv, commands: [string, string[], number[]][]): Row[] {
  const rows: Row[] = [];
  for (const [label, args, okCodes] of commands) {
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const start = performance.now();
      const run = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
      if (!okCodes.includes(run.status ?? -1))
        throw new Error(`gwqueue ${args.join(' ')} exited ${run.status}: ${run.stdout}${run.stderr}`);
      times.push(performance.now() - start);
    }
    const s = summarize(times);
    rows.push({ measure: `${label} wall time (ms), median of 7`, p50: median(times), p95: s.p95, p99: '' });
  }
  return rows;
}
