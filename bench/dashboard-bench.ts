// Dashboard benchmark: the Tasks page and its searches with 100,000 (--tasks) retained tasks in the index, timed on the server (Server-Timing) and end to end, the first request of each apart.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { loadConfig } from '../src/config/index.js';
import { connectClient } from '../src/queue/client.js';
import { createApp } from '../src/web/app.js';
import { createConsoleGraceDb } from '../src/web/context.js';
import { TaskIndex, type TaskSummary } from '../src/task-index/task-index.js';
import { summarize, type Row } from './stats.js';
import '../src/tasks/index.js';

const NAMES = [
  'gwqueue.tasks.gracedb.upload',
  'gwqueue.tasks.gracedb.create_label',
  'gwqueue.tasks.superevents.process',
  'gwqueue.tasks.orchestrator.earlywarning_preliminary_alert',
  'gwqueue.tasks.core.ping',
];

/** A retained task as the worker's indexer writes it: one in 33 failed, a few hundred ms of runtime, a superevent in its arguments. */
function syntheticTask(n: number, start: number): TaskSummary {
  const failed = n % 33 === 0;
  const superevent = `S2401${String((n % 28) + 1).padStart(2, '0')}${String.fromCharCode(97 + (n % 26))}`;
  const submittedAt = start + n * 50;
  const runtimeMs = 5 + ((n * 7919) % 900);
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    name: NAMES[n % NAMES.length],
    queue: n % 3 ? 'default' : 'superevent',
    state: failed ? 'failed' : 'completed',
    args: JSON.stringify([superevent, `G${100000 + n}`, 'bayestar.multiorder.fits']),
    result: failed ? null : JSON.stringify({ superevent_id: superevent, uploaded: true }),
    error: failed ? `HTTP 503 from GraceDB while updating ${superevent}` : null,
    worker: `worker${n % 4}@emfollow`,
    submittedBy: null,
    submittedAt,
    startedAt: submittedAt + 2,
    finishedAt: submittedAt + 2 + runtimeMs,
    runtimeMs,
    attempts: 1,
    rootId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  };
}

/** What the trigram postings hold: MEMORY USAGE of every posting and block's trigram list (SCAN: a few seconds at a million tasks). */
async function postingMemory(redis: Redis, index: TaskIndex): Promise<{ bytes: number; keys: number }> {
  let bytes = 0;
  let keys = 0;
  for (const pattern of [index.key('tg', '*'), index.key('tk', '*')]) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
      cursor = next;
      if (pattern.endsWith(':tg:*')) keys += found.length;
      const pipeline = redis.pipeline();
      for (const key of found) pipeline.memory('USAGE', key, 'SAMPLES', '0');
      for (const [, size] of (await pipeline.exec()) ?? []) bytes += Number(size ?? 0);
    } while (cursor !== '0');
  }
  return { bytes, keys };
}

export async function benchDashboard(redisUrl: string, options: { tasks: number; requests: number }): Promise<Row[]> {
  const config = loadConfig({
    ...process.env,
    REDIS_URL: redisUrl,
    GWQUEUE_PREFIX: 'benchdash',
    GWQUEUE_LOG_LEVEL: 'silent',
    GWQUEUE_ENV: 'test',
    GWQUEUE_LOCAL_USER: 'true',
  });
  const client = await connectClient(config);
  const index = new TaskIndex(client.redis, config);
  const start = Date.now() - options.tasks * 50;
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await client.redis.info('memory'))?.[1] ?? 0);
  const memoryBefore = await usedMemory();
  const fillStart = performance.now();
  for (let n = 0; n < options.tasks; n += 1000) {
    const batch = Array.from({ length: Math.min(1000, options.tasks - n) }, (_, i) => ({
      task: syntheticTask(n + i, start),
      version: start + n + i,
    }));
    await index.write(batch);
  }
  const fillSeconds = (performance.now() - fillStart) / 1000;
  const memory = (await usedMemory()) - memoryBefore;
  const postings = await postingMemory(client.redis, index);
  // The rest, key by key (SAMPLES 0: every entry, a few seconds at a million tasks).
  const parts: [string, string][] = [
    ['rows (one packed string per task)', index.key('rec')],
    ['IDs to slots and versions', index.key('ver')],
    ['sorted set by time', index.key('idx', 'time')],
    ['sorted set by runtime', index.key('idx', 'runtime')],
  ];
  const sizes = await Promise.all(parts.map(([, key]) => client.redis.memory('USAGE', key, 'SAMPLES', '0')));

  const { gracedb } = createConsoleGraceDb(config, client.redis);
  const app = createApp({ config, client, gracedb, listenHost: '127.0.0.1' });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rows: Row[] = [
    { measure: `index fill: ${options.tasks} tasks in batches of 1000 (tasks/s)`, p50: options.tasks / fillSeconds, p95: '', p99: '' },
    { measure: `Redis memory with ${options.tasks} indexed tasks, used_memory delta (MiB)`, p50: memory / 1048576, p95: '', p99: '' },
    { measure: 'Redis memory per indexed task (KiB)', p50: memory / 1024 / options.tasks, p95: '', p99: '' },
    { measure: 'of which trigram postings per task, MEMORY USAGE (bytes)', p50: postings.bytes / options.tasks, p95: '', p99: '' },
    { measure: 'trigram postings (keys)', p50: postings.keys, p95: '', p99: '' },
    ...parts.map(([label], i) => ({
      measure: `of which ${label} per task (bytes)`,
      p50: Number(sizes[i] ?? 0) / options.tasks,
      p95: '',
      p99: '',
    })),
  ];
  const cases: [string, string][] = [
    ['Tasks page, newest first', '/flower/tasks'],
    ['Tasks page 400 (deep pagination)', '/flower/tasks?page=400'],
    ['Failed tab', '/flower/tasks?state=failed'],
    ['sorted by runtime', '/flower/tasks?sort=-runtime'],
    ['sorted by name, page 10', '/flower/tasks?sort=name&page=10'],
    ['search name:gracedb state:failed S240101a', '/flower/tasks?q=name%3Agracedb%20state%3Afailed%20S240101a'],
    ['search worker:worker2 "http 503"', '/flower/tasks?q=worker%3Aworker2%20%22http%20503%22'],
    ['search matching nothing', '/flower/tasks?q=no-such-text'],
    ['search, last hour only', '/flower/tasks?q=S240115&range=1h'],
  ];
  try {
    for (const [label, path] of cases) {
      const server: number[] = [];
      const total: number[] = [];
      let first = NaN;
      for (let i = 0; i < options.requests + 3; i++) {
        const began = performance.now();
        const response = await fetch(`${origin}${path}`);
        await response.text();
        if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
        // The first asks Redis for everything; a search asked again looks only in blocks that changed since.
        if (i === 0) first = Number(/dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '')?.[1] ?? NaN);
        if (i < 3) continue; // warm-up
        total.push(performance.now() - began);
        server.push(Number(/dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '')?.[1] ?? NaN));
      }
      const s = summarize(server);
      const t = summarize(total);
      rows.push({ measure: `${label}: task list, server (ms)`, p50: s.p50, p95: s.p95, p99: s.p99 });
      rows.push({ measure: `${label}: whole page, end to end (ms)`, p50: t.p50, p95: t.p95, p99: t.p99 });
      rows.push({ measure: `${label}: the first request, task list, server (ms)`, p50: first, p95: '', p99: '' });
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await client.redis.flushdb('ASYNC');
    await client.close();
  }
  return rows;
}
