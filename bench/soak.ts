// `npm run soak [-- --minutes 10 --rate 40]`: mixed load on the real console and workers; RSS of every process sampled (slope per process), latency p99 per minute.
import { performance } from 'node:perf_hooks';
import { fmt, NOT_APPLICABLE, printTable, summarize, type Row } from './stats.js';
import { optionsOrExit, parseSoakArgs } from './options.js';
import { childrenOf, rssMb } from './processes.js';
import { startStack, unitWebProcesses } from './stack.js';

const { minutes, rate } = optionsOrExit(parseSoakArgs(process.argv.slice(2)));

const stack = await startStack({ name: 'soak', appendOnly: true, tokenRole: 'admin', env: { GWQUEUE_MOCK_JOINT_DELAY: '1' } });
const { base, web, workers, redisPid } = stack;
const auth = { Authorization: `Bearer ${stack.token}`, Accept: 'application/json' };

const statuses = new Map<string, number>();
const tally = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
const taskIds: string[] = [];
/** Every request's end (ms since the start) and duration (ms), for the latency of each minute. */
const latencies: { at: number; ms: number; post: boolean }[] = [];
const began = Date.now();
const superevents: { superevent: string; event: string }[] = [];

async function call(method: string, url: string, body?: Record<string, string>): Promise<unknown> {
  const start = performance.now();
  const res = await fetch(`${base}${url}`, {
    method,
    headers: body ? { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' } : auth,
    body: body ? new URLSearchParams(body).toString() : undefined,
  });
  tally(`${method} ${url.replace(/\/tasks\/[^/?]+/, '/tasks/:id').replace(/\?.*$/, '')} ${res.status}`);
  const text = await res.text();
  // ?wait holds the request until the task ends on purpose: its time is the task's, not the console's.
  if (!url.includes('wait=')) latencies.push({ at: Date.now() - began, ms: performance.now() - start, post: method === 'POST' });
  return res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
}

const submit = async (form: string, fields: Record<string, string> = {}) => {
  const answer = (await call('POST', `/${form}`, fields)) as { id?: string };
  if (answer.id) taskIds.push(answer.id);
};
const pick = <T>(list: T[]): T | undefined => list[Math.floor(Math.random() * list.length)];

/** One step of the mix: mostly reading pages, some submissions of every kind an operator makes. */
async function step(): Promise<void> {
  const roll = Math.random();
  const target = pick(superevents);
  const task = pick(taskIds);
  if (roll < 0.06) return submit('send_mock_event');
  if (roll < 0.08) return submit('send_mock_joint_event');
  if (roll < 0.12 && target) return submit('send_preliminary_gcn', { superevent_id: target.superevent, event_id: target.event });
  if (roll < 0.15 && target) return submit('change_prefered_event', { superevent_id: target.superevent, event_id: target.event });
  if (roll < 0.17 && target) return submit('create_update_gcn_circular', { superevent_id: target.superevent, sky_localization: 'on' });
  if (roll < 0.3 && task) {
    // Half of the API reads wait for the task's end (?wait), as a script would.
    const info = (await call('GET', `/api/tasks/${task}${Math.random() < 0.5 ? '?wait=2' : ''}`)) as {
      name?: string;
      state?: string;
      result?: { superevent_id?: string; graceid?: string };
    };
    if (info.name?.endsWith('await_superevent') || info.result?.superevent_id) {
      if (info.state === 'completed' && info.result?.superevent_id && info.result.graceid && superevents.length < 200)
        superevents.push({ superevent: info.result.superevent_id, event: info.result.graceid });
    }
    return;
  }
  if (roll < 0.45 && task) return void (await call('GET', `/tasks/${task}`));
  if (roll < 0.6) return void (await call('GET', '/'));
  if (roll < 0.7) return void (await call('GET', '/flower/'));
  if (roll < 0.78) return void (await call('GET', '/flower/tasks?q=state:failed'));
  if (roll < 0.84) return void (await call('GET', '/audit'));
  if (roll < 0.9) return void (await call('GET', `/typeahead_superevent_id?superevent_id=${target?.superevent.slice(0, 4) ?? 'S'}`));
  if (roll < 0.95) return void (await call('GET', '/metrics'));
  return void (await call('GET', '/flower/api/workers'));
}

interface Sample {
  at: number;
  rss: Map<string, number>;
}
const samples: Sample[] = [];
function sample(): void {
  const rss = new Map<string, number>();
  const webChildren = childrenOf(web.pid!);
  rss.set(webChildren.length ? 'console primary' : 'console', rssMb([web.pid!]));
  webChildren.forEach((pid, i) => rss.set(`console process ${i + 1}`, rssMb([pid])));
  workers.forEach((worker, i) => rss.set(`worker ${i + 1}`, rssMb([worker.pid!])));
  rss.set('redis-server', rssMb([redisPid]));
  samples.push({ at: Date.now(), rss });
}

let failed = false;
try {
  console.log(
    `soak: ${minutes} min at about ${rate} requests/s on ${base} (the console as its unit runs it, ${unitWebProcesses()} process(es); ${workers.length} worker(s), Redis with AOF)`,
  );
  const end = Date.now() + minutes * 60_000;
  const sampler = setInterval(sample, Math.max(5000, (minutes * 60_000) / 40));
  sample();
  const loops = 8;
  let errors = 0;
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (Date.now() < end) {
        const began = Date.now();
        await step().catch((error) => {
          errors += 1;
          tally(`error ${(error as Error).message.slice(0, 60)}`);
        });
        const wait = (loops * 1000) / rate - (Date.now() - began);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }),
  );
  clearInterval(sampler);
  sample();

  const first = samples[Math.min(samples.length - 1, Math.ceil(samples.length * 0.1))];
  const last = samples.at(-1)!;
  const middle = samples[Math.floor(samples.length / 2)];
  const rows: Row[] = [...last.rss.keys()].map((name) => {
    const startMb = first.rss.get(name) ?? NaN;
    const endMb = last.rss.get(name) ?? NaN;
    const midMb = middle.rss.get(name) ?? NaN;
    const max = Math.max(...samples.map((s) => s.rss.get(name) ?? 0));
    const growth = (from: number) => `${fmt(((endMb - from) / from) * 100, 1)} %`;
    return {
      process: name,
      'after warm-up (MB)': startMb,
      'half-way (MB)': midMb,
      'end (MB)': endMb,
      'max (MB)': max,
      'growth from warm-up': growth(startMb),
      'growth in 2nd half': growth(midMb),
    };
  });
  printTable(`RSS per process (warm-up sample at ${((first.at - samples[0].at) / 1000).toFixed(0)} s, ${samples.length} samples)`, rows);

  // Least-squares slope of each process's RSS after the warm-up, in MB per minute (and per hour, to judge it).
  const slope = (name: string, from: Sample[]) => {
    const points = from.map((s) => [(s.at - samples[0].at) / 60_000, s.rss.get(name) ?? NaN]).filter(([, mb]) => Number.isFinite(mb));
    const mx = points.reduce((a, [x]) => a + x, 0) / points.length;
    const my = points.reduce((a, [, y]) => a + y, 0) / points.length;
    const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
    return sxx ? points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx : NaN;
  };
  const afterWarmup = samples.filter((s) => s.at >= first.at);
  const secondHalf = samples.filter((s) => s.at >= middle.at);
  printTable(
    'RSS slope per process after the warm-up (least squares over the samples)',
    [...last.rss.keys()].map((name) => {
      const all = slope(name, afterWarmup);
      return {
        process: name,
        'MB/min': fmt(all, 3),
        'MB/hour at that rate': fmt(all * 60, 1),
        'MB/min in the 2nd half': fmt(slope(name, secondHalf), 3),
      };
    }),
  );

  const minutesRun = Math.ceil(Math.max(...latencies.map((l) => l.at), 1) / 60_000);
  printTable(
    'latency per minute (ms; every request but the ?wait ones, which last as long as their task)',
    Array.from({ length: minutesRun }, (_, minute) => {
      const inMinute = latencies.filter((l) => Math.floor(l.at / 60_000) === minute);
      const all = summarize(inMinute.map((l) => l.ms));
      const posts = summarize(inMinute.filter((l) => l.post).map((l) => l.ms));
      return {
        minute: minute + 1,
        requests: all.n,
        p50: all.p50,
        p99: all.p99,
        max: Math.max(...inMinute.map((l) => l.ms)),
        POSTs: posts.n,
        'POST p99': Number.isFinite(posts.p99) ? posts.p99 : NOT_APPLICABLE,
      };
    }),
  );
  const requests = [...statuses].sort(([a], [b]) => a.localeCompare(b)).map(([what, count]) => ({ request: what, count }));
  printTable('requests by route and status', requests);
  const serverErrors = [...statuses].filter(([what]) => / 5\d\d$/.test(what) || what.startsWith('error')).reduce((n, [, c]) => n + c, 0);
  console.log(`\n${taskIds.length} tasks submitted; ${serverErrors} server errors or failed requests; ${errors} client-side errors`);
  failed = serverErrors > 0;
} finally {
  await stack.stop();
}
process.exitCode = failed ? 1 : 0;
