// Engine benchmarks: submit→done latency of sequential pings, enqueue throughput, CLI wall times.
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/index.js';
import { connectClient } from '../src/queue/client.js';
import { ping } from '../src/tasks/core.js';
import '../src/tasks/index.js';
import { median, summarize, type Row } from './stats.js';

const BIN = new URL('../bin/gwqueue.js', import.meta.url).pathname;

function waitForLine(child: ReturnType<typeof spawn>, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`worker not ready: ${output}`)), 15_000);
    child.stderr?.on('data', (chunk) => {
      output += chunk;
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

export async function benchEngine(redisUrl: string, options: { pings: number; enqueues: number }): Promise<Row[]> {
  const env = { ...process.env, REDIS_URL: redisUrl, GWQUEUE_PREFIX: 'bench', GWQUEUE_LOG_LEVEL: 'silent', GWQUEUE_ENV: 'test' };
  const config = loadConfig(env);
  const worker = spawn(process.execPath, [BIN, 'worker', '-n', 'bench@local'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  await waitForLine(worker, /consuming/);
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
    rows.push({ measure: `enqueue throughput, ${options.enqueues} pings, 64 in flight (tasks/s)`, p50: options.enqueues / seconds, p95: '', p99: '' });
  } finally {
    await client.close();
    worker.kill('SIGTERM');
  }
  for (const [label, args] of [
    ['`gwqueue --help` wall time (ms)', ['--help']],
    ['`gwqueue call gwqueue.tasks.core.ping` wall time (ms)', ['call', 'gwqueue.tasks.core.ping']],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const start = performance.now();
      const run = spawnSync(process.execPath, [BIN, ...args], { env, stdio: 'ignore' });
      if (run.status !== 0) throw new Error(`gwqueue ${args.join(' ')} exited ${run.status}`);
      times.push(performance.now() - start);
    }
    const s = summarize(times);
    rows.push({ measure: `${label}, median of 7`, p50: median(times), p95: s.p95, p99: '' });
  }
  return rows;
}
