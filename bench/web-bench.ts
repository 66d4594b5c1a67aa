// The preliminary-alert form under load, gwqueue and the Flask + Celery peer one after the other: wrk, drain, latency probe, RSS.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig, PACKAGE_ROOT } from '../src/config/index.js';
import { connectClient } from '../src/queue/client.js';
import { freePort } from '../test/helpers/redis-server.js';
import { PEER_DIR } from './peer-cli-bench.js';
import { rssMb, withChildren } from './processes.js';
import { startStack } from './stack.js';

const STANDIN = path.join(PACKAGE_ROOT, 'bench', 'standin.mjs');
const WRK_LUA = path.join(PEER_DIR, 'wrk_post.lua');
const PROBE = path.join(PEER_DIR, 'latency_probe.mjs');
const FORM = '/send_preliminary_gcn';
const BODY = 'superevent_id=S240101abc&event_id=G123456';

export interface LoadOptions {
  wrkSeconds: number;
  probeCount: number;
}

/** What one run measured on one app. */
export interface WebFigures {
  rps: number;
  wrkP50: number;
  wrkP99: number;
  postP50: number;
  doneP50: number;
  doneP95: number;
  doneP99: number;
  /** Ours only (NaN for the peer): submit→done when the probe asks `/api/tasks/{id}?wait=10` instead of polling. */
  waitP50: number;
  waitP95: number;
  waitP99: number;
  drainS: number;
  webRssMb: number;
  webProcesses: number;
  workerRssMb: number;
  workerProcesses: number;
}

interface App {
  label: string;
  base: string;
  /** Headers for wrk (`A: b|C: d`) and the probe. */
  headers: string[];
  probeArgs: string[];
  /** Probe arguments for a second pass that waits on the result instead of polling (apps that can). */
  waitProbeArgs?: string[];
  /** Location paths that mean the form was accepted. */
  acceptedPrefix: string;
  webPids(): number[];
  workerPids(): number[];
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/** gwqueue as deployed (production profile), 2 console processes and 2 workers, on a private Redis without persistence like the peer's. */
async function startOurs(): Promise<App> {
  const stack = await startStack({ name: 'webbench', nodeArgs: ['--import', STANDIN] });
  const client = await connectClient(loadConfig(stack.env));
  return {
    label: 'gwqueue',
    base: stack.base,
    headers: [`Authorization: Bearer ${stack.token}`],
    probeArgs: ['--result-url', '/api/tasks/{id}', '--done-field', 'state', '--done-values', 'completed', '--fail-values', 'failed'],
    waitProbeArgs: [
      '--result-url',
      '/api/tasks/{id}?wait=10',
      '--done-field',
      'state',
      '--done-values',
      'completed',
      '--fail-values',
      'failed',
    ],
    acceptedPrefix: '/tasks/',
    webPids: () => withChildren(stack.web.pid!),
    workerPids: () => stack.workers.map((w) => w.pid!),
    async drain() {
      for (;;) {
        let left = 0;
        for (const name of await client.queueNames()) {
          const counts = await client.queue(name).getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
          left += Object.values(counts).reduce((a, b) => a + b, 0);
        }
        if (!left) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async stop() {
      await client.close();
      await stack.stop();
    },
  };
}

/** The peer as its README starts it: gunicorn with 2 sync workers, a Celery worker with 2 pool processes, Redis on 6399. */
async function startPeer(): Promise<App> {
  const port = await freePort();
  const runDir = path.join(PACKAGE_ROOT, 'var', 'peer-run');
  const env = { ...process.env, PEER_RUN_DIR: runDir };
  const script = (name: string, args: string[] = []) => spawnSync('bash', [path.join(PEER_DIR, name), ...args], { env, encoding: 'utf8' });
  const started = script('run_peer.sh', [String(port)]);
  if (started.status !== 0) throw new Error(`run_peer.sh failed: ${started.stderr.slice(-400)}`);
  const pid = (name: string) => Number(readFileSync(path.join(runDir, `${name}.pid`), 'utf8').trim());
  return {
    label: 'peer',
    base: `http://127.0.0.1:${port}`,
    headers: [],
    probeArgs: ['--result-url', '/result/{id}', '--done-field', 'state', '--done-values', 'SUCCESS', '--fail-values', 'FAILURE'],
    acceptedPrefix: '/result/',
    webPids: () => withChildren(pid('gunicorn')),
    workerPids: () => withChildren(pid('celery')),
    async drain() {
      const idle = script('wait_idle.sh', ['300']);
      if (idle.status !== 0) throw new Error(`wait_idle.sh failed: ${idle.stderr.slice(-400)}`);
    },
    async stop() {
      script('stop_peer.sh');
    },
  };
}

function wrk(app: App, seconds: number): { rps: number; p50: number; p99: number } {
  const env = { ...process.env, WRK_BODY: BODY, WRK_HEADERS: app.headers.join('|') };
  const run = spawnSync('wrk', ['-t2', '-c32', `-d${seconds}s`, '--latency', '-s', WRK_LUA, `${app.base}${FORM}`], {
    env,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`wrk failed (apt-get install -y wrk): ${run.stderr || run.error?.message}`);
  const out = run.stdout;
  const rps = Number(/= ([\d.]+) req\/s/.exec(out)?.[1]);
  const latency = /latency ms: p50 ([\d.]+)\s+p90 ([\d.]+)\s+p99 ([\d.]+)/.exec(out);
  const statuses = /status codes: (.*)/.exec(out)?.[1] ?? '';
  const targets = /redirect targets: (.*)/.exec(out)?.[1] ?? '';
  // Every answer must be an accepted form: a redirect to the task's page, nothing else.
  const accepted = new RegExp(`^${app.acceptedPrefix.replace(/\//g, '\\/')}\\*=\\d+$`);
  if (!/^30[23]=\d+$/.test(statuses) || !accepted.test(targets) || !latency)
    throw new Error(`${app.label}: wrk saw answers other than accepted forms: ${statuses}; ${targets}\n${out}`);
  return { rps, p50: Number(latency[1]), p99: Number(latency[3]) };
}

function probe(app: App, count: number, probeArgs = app.probeArgs): { postP50: number; doneP50: number; doneP95: number; doneP99: number } {
  const args = [
    PROBE,
    '--base-url',
    app.base,
    '--form-path',
    FORM,
    '-n',
    String(count),
    '--warmup',
    '10',
    '--json',
    '--label',
    app.label,
    ...probeArgs,
  ];
  for (const header of app.headers) args.push('--header', header);
  const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
  if (run.status !== 0 || summary.errors)
    throw new Error(`${app.label}: latency probe failed (exit ${run.status}):\n${run.stdout.slice(-800)}${run.stderr.slice(-400)}`);
  return {
    postP50: summary.post_ms.p50,
    doneP50: summary.submit_to_done_ms.p50,
    doneP95: summary.submit_to_done_ms.p95,
    doneP99: summary.submit_to_done_ms.p99,
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One run on one app, as the peer's README measures it: start fresh, wrk, drain, 2 s pause, probe (and ours again with ?wait), RSS, stop. */
async function measure(start: () => Promise<App>, options: LoadOptions): Promise<WebFigures> {
  const app = await start();
  try {
    const load = wrk(app, options.wrkSeconds);
    const drainStart = performance.now();
    await app.drain();
    const drainS = (performance.now() - drainStart) / 1000;
    await pause(2000);
    const latency = probe(app, options.probeCount);
    const waited = app.waitProbeArgs ? probe(app, options.probeCount, app.waitProbeArgs) : { doneP50: NaN, doneP95: NaN, doneP99: NaN };
    const webPids = app.webPids();
    const workerPids = app.workerPids();
    return {
      rps: load.rps,
      wrkP50: load.p50,
      wrkP99: load.p99,
      ...latency,
      waitP50: waited.doneP50,
      waitP95: waited.doneP95,
      waitP99: waited.doneP99,
      drainS,
      webRssMb: rssMb(webPids),
      webProcesses: webPids.length,
      workerRssMb: rssMb(workerPids),
      workerProcesses: workerPids.length,
    };
  } finally {
    await app.stop();
  }
}

/** `runs` rounds, alternating which app goes first; each app is started fresh for every run. */
export async function benchWebSideBySide(
  runs: number,
  options: LoadOptions,
  log: (line: string) => void,
): Promise<{ ours: WebFigures[]; peer: WebFigures[] }> {
  const ours: WebFigures[] = [];
  const peer: WebFigures[] = [];
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? (['peer', 'ours'] as const) : (['ours', 'peer'] as const);
    for (const which of order) {
      const figures = await measure(which === 'ours' ? startOurs : startPeer, options);
      (which === 'ours' ? ours : peer).push(figures);
      log(
        `run ${run + 1}/${runs} ${which === 'ours' ? 'gwqueue' : 'peer'}: ${figures.rps.toFixed(0)} req/s, wrk p50 ${figures.wrkP50} ms, submit→done p50 ${figures.doneP50.toFixed(2)} ms, drain ${figures.drainS.toFixed(1)} s`,
      );
    }
  }
  return { ours, peer };
}
