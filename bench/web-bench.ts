// The preliminary-alert form under load, one app after the other: the bare stack, gwqueue (API token and browser path) and the Flask + Celery peer: wrk, drain, latency probe, RSS per process.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig, PACKAGE_ROOT } from '../src/config/index.js';
import { connectClient } from '../src/queue/client.js';
import { freePort, startRedis } from '../test/helpers/redis-server.js';
import { PEER_DIR } from './peer-cli-bench.js';
import { childrenOf, cpuMs, pssMb, rssMb, stopChild, waitForOutput } from './processes.js';
import { startStack } from './stack.js';
import { fmt } from './stats.js';

const STANDIN = path.join(PACKAGE_ROOT, 'bench', 'standin.mjs');
const BARE = path.join(PACKAGE_ROOT, 'bench', 'bare.mjs');
const FLOOR = path.join(PACKAGE_ROOT, 'bench', 'floor.mjs');
const WRK_LUA = path.join(PEER_DIR, 'wrk_post.lua');
const WRK_BROWSER_LUA = path.join(PACKAGE_ROOT, 'bench', 'wrk-browser.lua');
const PROBE = path.join(PEER_DIR, 'latency_probe.mjs');
const FORM = '/send_preliminary_gcn';
const FIELDS = 'superevent_id=S240101abc&event_id=G123456';
/** The user a reverse proxy names in front of the console (browser path), and how many browsers share the load. */
const BROWSER_USER = 'bench.operator';
const BROWSERS = 32;

export interface LoadOptions {
  wrkSeconds: number;
  probeCount: number;
  /** The node flags of the A/B's second API-token app ('api-v8heap'); V8's default heap sizing when absent. */
  abFlags?: string[];
}

export const APPS = [
  'bare',
  'floor',
  'floor-steps',
  'floor-split',
  'floor-browser',
  'api',
  'browser',
  'api-2p',
  'api-2w',
  'peer',
  'api-v8heap',
] as const;
export type AppKey = (typeof APPS)[number];
export const APP_LABELS: Record<AppKey, string> = {
  bare: 'bare stack',
  floor: 'bare stack on Express',
  'floor-steps': "bare stack on Express with gwqueue's Redis steps",
  'floor-split': '…and its worker in a process of its own',
  'floor-browser': '…and a browser (session, CSRF, one-time token)',
  api: 'gwqueue, API token',
  browser: 'gwqueue, browser',
  'api-2p': 'gwqueue, API token, console in 2 processes and their supervisor',
  'api-2w': 'gwqueue, API token, 2 workers sharing the queues',
  peer: 'peer (Flask + Celery)',
  'api-v8heap': "gwqueue, API token, V8's default heap sizing",
};

/**
 * `--ab-heap`: the API-token path again with V8's default heap sizing in every process (16 MB semispaces, the heap's
 * growth left to V8, Node's four V8 background threads), in the same runs, against what cluster.ts CONSOLE_V8_FLAGS and the worker unit set (given last,
 * these win over theirs).
 */
const V8_HEAP_DEFAULTS = ['--max-semi-space-size=16', '--heap-growing-percent=0', '--v8-pool-size=4'];

/** One process's resident memory after the load. */
export interface ProcessRss {
  process: string;
  role: 'web' | 'worker' | 'both' | 'redis';
  mb: number;
  /** Its proportional share (pssMb): pages shared with other processes counted 1/n. */
  pssMb: number;
}

/** What one run measured on one app (NaN where the app has no such figure). */
export interface WebFigures {
  rps: number;
  wrkP50: number;
  wrkP99: number;
  postP50: number;
  doneP50: number;
  doneP95: number;
  doneP99: number;
  /** gwqueue's API path only: submit→done when the probe asks `/api/tasks/{id}?wait=10` instead of polling. */
  waitP50: number;
  waitP95: number;
  waitP99: number;
  drainS: number;
  processes: ProcessRss[];
  /** Web processes together (a process that is web and worker at once, the bare stack's, counts here). */
  webRssMb: number;
  webProcesses: number;
  workerRssMb: number;
  /**
   * The same groups' proportional memory (PSS). RSS counts in every process the pages all share (each Node process
   * maps ~30 MB of the node binary; gunicorn's workers share pages with their master): PSS counts them once in all.
   * The bench's own node process shares the node binary too, so ours are ~5 MB lower than they would be alone.
   */
  webPssMb: number;
  workerPssMb: number;
  workerProcesses: number;
  /** Every process of the app but Redis. */
  totalRssMb: number;
  /**
   * CPU time per accepted submission (ms, user + system), from the start of wrk to the end of the drain: the web
   * processes (the bare stack's one process counts here), the workers, Redis, and all together: on a CPU-bound box,
   * what each app's req/s is the inverse of.
   */
  cpuWebMs: number;
  cpuWorkerMs: number;
  cpuRedisMs: number;
  cpuTotalMs: number;
}

interface App {
  key: AppKey;
  base: string;
  /** wrk's script and its environment (headers as `A: b|C: d`). */
  wrk: { script: string; env: Record<string, string> };
  /** Probe arguments (result URL, done field and values, headers); undefined: no sequential probe on this path. */
  probe?: string[];
  /** Probe arguments for a second pass that waits on the result instead of polling (apps that can). */
  waitProbe?: string[];
  /** Location paths that mean the form was accepted. */
  acceptedPrefix: string;
  processes(): { process: string; role: ProcessRss['role']; pid: number }[];
  drain(): Promise<void>;
  stop(): Promise<void>;
}

const named = (role: ProcessRss['role'], stem: string, pids: number[]) =>
  pids.map((pid, i) => ({ process: pids.length > 1 ? `${stem} ${i + 1}` : stem, role, pid }));

async function drainBull(counts: () => Promise<number>): Promise<void> {
  const deadline = Date.now() + 300_000;
  while ((await counts()) > 0) {
    if (Date.now() > deadline) throw new Error('the queue did not drain within 300 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A browser's visit to the console: GET / as the proxy names the operator; the session cookie and the form's CSRF token. */
async function openBrowser(base: string, headers: Record<string, string>): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${base}/`, { headers });
  const page = await res.text();
  const cookie = res.headers.getSetCookie()[0]?.split(';')[0];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!res.ok || !cookie || !csrf) throw new Error(`GET / gave no session or no CSRF token (status ${res.status})`);
  return { cookie, csrf: csrf.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))) };
}

/**
 * The form checks its event with GraceDB (here the embedded one), so the event must exist: one mock event, made as an
 * operator makes it (POST /send_mock_event), gives a superevent and its event. Returns the form's fields for them.
 */
export async function seedEvent(base: string, token: string): Promise<string> {
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
  const made = (await (await fetch(`${base}/send_mock_event`, { method: 'POST', headers })).json()) as { id?: string };
  type Task = { state?: string; result?: { superevent_id?: string; graceid?: string } };
  let task: Task = {};
  for (let tries = 0; tries < 6 && task.state !== 'completed' && task.state !== 'failed'; tries++)
    task = (await (await fetch(`${base}/api/tasks/${made.id}?wait=30`, { headers })).json()) as Task;
  const { superevent_id: superevent, graceid } = task.result ?? {};
  if (task.state !== 'completed' || !superevent || !graceid)
    throw new Error(`the mock event did not make a superevent: ${JSON.stringify(task)}`);
  return new URLSearchParams({ superevent_id: superevent, event_id: graceid }).toString();
}

/**
 * gwqueue as deployed (production profile): the console as its unit runs it (one process; `api-2p`: the earlier
 * two and their supervisor) behind a trusted proxy that names the user, one worker as the form's queue group has
 * (`api-2w`: two sharing every queue, the earlier layout), a private Redis without persistence like the peer's.
 */
async function startOurs(key: 'api' | 'browser' | 'api-2p' | 'api-2w' | 'api-v8heap', abFlags = V8_HEAP_DEFAULTS): Promise<App> {
  const stack = await startStack({
    name: 'webbench',
    ...(key === 'api-2p' ? { webProcesses: 2 } : {}),
    // The bench's layout until 2026-12-06: two workers, each consuming every queue (the form's tasks shared between them).
    ...(key === 'api-2w' ? { workers: 2 } : {}),
    nodeArgs: ['--import', STANDIN, ...(key === 'api-v8heap' ? abFlags : [])],
    env: { GWQUEUE_TRUSTED_PROXIES: '127.0.0.1', GWQUEUE_AUTHORIZED_USERS: BROWSER_USER },
  });
  const client = await connectClient(loadConfig(stack.env));
  const common = {
    key,
    base: stack.base,
    acceptedPrefix: '/tasks/',
    processes: () => [
      ...named('web', key === 'api-2p' ? 'console primary' : 'console', [stack.web.pid!]),
      ...named('web', 'console process', childrenOf(stack.web.pid!)),
      ...named(
        'worker',
        'worker',
        stack.workers.map((w) => w.pid!),
      ),
      ...named('redis', 'redis-server', [stack.redisPid]),
    ],
    async drain() {
      // Waiting and running tasks: what the load left behind (the mock event may leave a delayed follow-up, which is not load).
      await drainBull(async () => {
        let left = 0;
        for (const name of await client.queueNames()) {
          const counts = await client.queue(name).getJobCounts('wait', 'active', 'prioritized');
          left += Object.values(counts).reduce((a, b) => a + b, 0);
        }
        return left;
      });
    },
    async stop() {
      await client.close();
      await stack.stop();
    },
  };
  const result = ['--done-field', 'state', '--done-values', 'completed', '--fail-values', 'failed'];
  const fields = await seedEvent(stack.base, stack.token).catch(async (error: unknown) => {
    await common.stop();
    throw error;
  });
  const probeFields = fields.split('&').flatMap((field) => ['--field', field]);
  if (key !== 'browser') {
    // A script that asks for HTML is answered as the peer answers: a redirect to the task (the probe needs its Location).
    const auth = `Authorization: Bearer ${stack.token}`;
    const html = 'Accept: text/html';
    return {
      ...common,
      wrk: { script: WRK_LUA, env: { WRK_BODY: fields, WRK_HEADERS: `${auth}|${html}` } },
      probe: ['--result-url', '/api/tasks/{id}', ...result, ...probeFields, '--header', auth, '--header', html],
      waitProbe: ['--result-url', '/api/tasks/{id}?wait=10', ...result, ...probeFields, '--header', auth, '--header', html],
    };
  }
  const proxy = { 'X-Proxy-Remote-User': BROWSER_USER };
  const browsers: { cookie: string; csrf: string }[] = [];
  try {
    for (let i = 0; i < BROWSERS; i++) browsers.push(await openBrowser(stack.base, proxy));
  } catch (error) {
    await common.stop();
    throw error;
  }
  return {
    ...common,
    wrk: {
      script: WRK_BROWSER_LUA,
      env: {
        WRK_FIELDS: fields,
        WRK_HEADERS: `X-Proxy-Remote-User: ${BROWSER_USER}`,
        WRK_BROWSERS: browsers.map((b) => `${b.cookie}\t${b.csrf}`).join('|'),
        WRK_RUN: Date.now().toString(36),
      },
    },
  };
}

/** The bare stack (bench/bare.mjs), or the same on Express and express-validator (bench/floor.mjs), on a private Redis without persistence. */
type BareKey = 'bare' | 'floor' | 'floor-steps' | 'floor-split' | 'floor-browser';
const BARE_MODES: Record<BareKey, string[]> = {
  bare: [],
  floor: [],
  'floor-steps': ['--steps'],
  'floor-split': ['--steps', '--split'],
  'floor-browser': ['--steps', '--split', '--browser'],
};

async function startBare(key: BareKey): Promise<App> {
  const redis = await startRedis();
  const port = await freePort();
  const script = key === 'bare' ? BARE : FLOOR;
  const child = spawn(process.execPath, [script, String(port), redis.url, ...BARE_MODES[key]], {
    cwd: PACKAGE_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async () => {
    await stopChild(child);
    await redis.stop();
  };
  try {
    await waitForOutput(child, /bare ready/, APP_LABELS[key]);
  } catch (error) {
    await stop();
    throw error;
  }
  const redisPid = Number(
    /process_id:(\d+)/.exec(spawnSync('redis-cli', ['-p', String(redis.port), 'info', 'server'], { encoding: 'utf8' }).stdout)?.[1],
  );
  const base = `http://127.0.0.1:${port}`;
  // The browser floor: each browser's session cookie and CSRF token from GET /, as for the console; no probe (its tokens are one-time).
  const browsers: { cookie: string; csrf: string }[] = [];
  try {
    for (let i = 0; key === 'floor-browser' && i < BROWSERS; i++) browsers.push(await openBrowser(base, {}));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    key,
    base,
    ...(key === 'floor-browser'
      ? {
          wrk: {
            script: WRK_BROWSER_LUA,
            env: {
              WRK_FIELDS: FIELDS,
              WRK_BROWSERS: browsers.map((b) => `${b.cookie}\t${b.csrf}`).join('|'),
              WRK_RUN: Date.now().toString(36),
            },
          },
        }
      : {
          wrk: { script: WRK_LUA, env: { WRK_BODY: FIELDS } },
          probe: ['--result-url', '/result/{id}', '--done-field', 'state', '--done-values', 'completed', '--fail-values', 'failed'],
        }),
    acceptedPrefix: '/result/',
    processes: () =>
      key === 'floor-split' || key === 'floor-browser'
        ? [
            ...named('web', 'floor (web)', [child.pid!]),
            ...named('worker', 'floor (worker)', childrenOf(child.pid!)),
            ...named('redis', 'redis-server', [redisPid]),
          ]
        : [...named('both', `${key} (web and worker)`, [child.pid!]), ...named('redis', 'redis-server', [redisPid])],
    async drain() {
      await drainBull(async () => {
        const length = (list: string) =>
          Number(spawnSync('redis-cli', ['-p', String(redis.port), 'llen', `bull:bare:${list}`], { encoding: 'utf8' }).stdout.trim()) || 0;
        return length('wait') + length('active');
      });
    },
    stop,
  };
}

/** The peer as its README starts it: gunicorn with 2 sync workers, a Celery worker with 2 pool processes, its own Redis. */
async function startPeer(): Promise<App> {
  const port = await freePort();
  const redisPort = await freePort();
  const runDir = path.join(PACKAGE_ROOT, 'var', 'peer-run');
  const env: NodeJS.ProcessEnv = { ...process.env, PEER_RUN_DIR: runDir, PEER_REDIS_PORT: String(redisPort) };
  delete env.REDIS_URL;
  const script = (name: string, args: string[] = []) => spawnSync('bash', [path.join(PEER_DIR, name), ...args], { env, encoding: 'utf8' });
  const started = script('run_peer.sh', [String(port)]);
  if (started.status !== 0) throw new Error(`run_peer.sh failed: ${started.stderr.slice(-400)}`);
  const pid = (name: string) => Number(readFileSync(path.join(runDir, `${name}.pid`), 'utf8').trim());
  return {
    key: 'peer',
    base: `http://127.0.0.1:${port}`,
    wrk: { script: WRK_LUA, env: { WRK_BODY: FIELDS } },
    probe: ['--result-url', '/result/{id}', '--done-field', 'state', '--done-values', 'SUCCESS', '--fail-values', 'FAILURE'],
    acceptedPrefix: '/result/',
    processes: () => [
      ...named('web', 'gunicorn master', [pid('gunicorn')]),
      ...named('web', 'gunicorn worker', childrenOf(pid('gunicorn'))),
      ...named('worker', 'celery main', [pid('celery')]),
      ...named('worker', 'celery pool', childrenOf(pid('celery'))),
      ...named('redis', 'redis-server', [pid('redis')]),
    ],
    async drain() {
      const idle = script('wait_idle.sh', ['300']);
      if (idle.status !== 0) throw new Error(`wait_idle.sh failed: ${idle.stderr.slice(-400)}`);
    },
    async stop() {
      script('stop_peer.sh');
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

function wrk(app: App, seconds: number): { rps: number; requests: number; p50: number; p99: number } {
  const run = spawnSync('wrk', ['-t2', '-c32', `-d${seconds}s`, '--latency', '-s', app.wrk.script, `${app.base}${FORM}`], {
    env: { ...process.env, ...app.wrk.env },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`wrk failed (apt-get install -y wrk): ${run.stderr || run.error?.message}`);
  const out = run.stdout;
  const rps = Number(/= ([\d.]+) req\/s/.exec(out)?.[1]);
  const latency = /latency ms: p50 ([\d.]+)\s+p90 ([\d.]+)\s+p99 ([\d.]+)/.exec(out);
  const statuses = /status codes: (.*)/.exec(out)?.[1] ?? '';
  const targets = /redirect targets: (.*)/.exec(out)?.[1] ?? '';
  // Every answer must be an accepted form: a redirect to the task's page (a browser), or 202 with the task (an API
  // token: gwqueue answers API clients in JSON), nothing else.
  const accepted = new RegExp(`^${app.acceptedPrefix.replace(/\//g, '\\/')}\\*=\\d+$`);
  const ok = (/^30[23]=\d+$/.test(statuses) && accepted.test(targets)) || /^202=\d+$/.test(statuses);
  if (!ok || !latency)
    throw new Error(`${APP_LABELS[app.key]}: wrk saw answers other than accepted forms: ${statuses}; ${targets}\n${out}`);
  return { rps, requests: Number(/(\d+) requests in/.exec(out)?.[1]), p50: Number(latency[1]), p99: Number(latency[3]) };
}

function probe(app: App, count: number, probeArgs: string[]): { postP50: number; doneP50: number; doneP95: number; doneP99: number } {
  const args = [PROBE, '--base-url', app.base, '--form-path', FORM, '-n', String(count), '--warmup', '10', '--json', '--label', app.key];
  const run = spawnSync(process.execPath, [...args, ...probeArgs], { encoding: 'utf8' });
  const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) || '{}');
  if (run.status !== 0 || summary.errors)
    throw new Error(
      `${APP_LABELS[app.key]}: latency probe failed (exit ${run.status}):\n${run.stdout.slice(-800)}${run.stderr.slice(-400)}`,
    );
  return {
    postP50: summary.post_ms.p50,
    doneP50: summary.submit_to_done_ms.p50,
    doneP95: summary.submit_to_done_ms.p95,
    doneP99: summary.submit_to_done_ms.p99,
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const none = { postP50: NaN, doneP50: NaN, doneP95: NaN, doneP99: NaN };

/** One run on one app, as the peer's README measures it: start fresh, wrk, drain, 2 s pause, probe (and ours again with ?wait), RSS, stop. */
async function measure(key: AppKey, options: LoadOptions): Promise<WebFigures> {
  const app = await (key === 'bare' || key === 'floor' || key === 'floor-steps' || key === 'floor-split' || key === 'floor-browser'
    ? startBare(key)
    : key === 'peer'
      ? startPeer()
      : startOurs(key, options.abFlags));
  try {
    const cpuBefore = app.processes().map(({ role, pid }) => ({ role, pid, ms: cpuMs(pid) }));
    const load = wrk(app, options.wrkSeconds);
    const drainStart = performance.now();
    await app.drain();
    const drainS = (performance.now() - drainStart) / 1000;
    // Read now, before the probes add submissions of their own.
    const cpuAfter = cpuBefore.map((p) => ({ ...p, used: cpuMs(p.pid) - p.ms }));
    const cpuUsed = (roles: ProcessRss['role'][]) =>
      cpuAfter.filter((p) => roles.includes(p.role)).reduce((total, p) => total + p.used, 0) / load.requests;
    await pause(2000);
    const latency = app.probe ? probe(app, options.probeCount, app.probe) : none;
    const waited = app.waitProbe ? probe(app, options.probeCount, app.waitProbe) : none;
    const processes = app.processes().map(({ process, role, pid }) => ({ process, role, mb: rssMb([pid]), pssMb: pssMb([pid]) }));
    const sum = (roles: ProcessRss['role'][]) => processes.filter((p) => roles.includes(p.role)).reduce((total, p) => total + p.mb, 0);
    const count = (roles: ProcessRss['role'][]) => processes.filter((p) => roles.includes(p.role)).length;
    const pss = (roles: ProcessRss['role'][]) => processes.filter((p) => roles.includes(p.role)).reduce((total, p) => total + p.pssMb, 0);
    return {
      rps: load.rps,
      wrkP50: load.p50,
      wrkP99: load.p99,
      ...latency,
      waitP50: waited.doneP50,
      waitP95: waited.doneP95,
      waitP99: waited.doneP99,
      drainS,
      processes,
      webRssMb: sum(['web', 'both']),
      webProcesses: count(['web', 'both']),
      // The bare stack's one process is web and worker at once: counted with the web processes, no worker figure.
      workerRssMb: count(['worker']) ? sum(['worker']) : NaN,
      webPssMb: pss(['web', 'both']),
      workerPssMb: count(['worker']) ? pss(['worker']) : NaN,
      workerProcesses: count(['worker']),
      totalRssMb: sum(['web', 'worker', 'both']),
      cpuWebMs: cpuUsed(['web', 'both']),
      cpuWorkerMs: count(['worker']) ? cpuUsed(['worker']) : NaN,
      cpuRedisMs: cpuUsed(['redis']),
      cpuTotalMs: cpuUsed(['web', 'worker', 'both', 'redis']),
    };
  } finally {
    await app.stop();
  }
}

/** `runs` rounds over `apps`, each app started fresh for every run; each round starts with the next app, so no app always goes first. */
export async function benchWeb(
  apps: AppKey[],
  runs: number,
  options: LoadOptions,
  log: (line: string) => void,
): Promise<Record<AppKey, WebFigures[]>> {
  const out = Object.fromEntries(APPS.map((key) => [key, [] as WebFigures[]])) as Record<AppKey, WebFigures[]>;
  for (let run = 0; run < runs; run++) {
    const order = apps.map((_, i) => apps[(i + run) % apps.length]);
    for (const key of order) {
      const figures = await measure(key, options);
      out[key].push(figures);
      log(
        `run ${run + 1}/${runs} ${APP_LABELS[key]}: ${fmt(figures.rps, 0)} req/s, wrk p99 ${fmt(figures.wrkP99)} ms, submit→done p50 ${fmt(figures.doneP50)} ms, RSS ${fmt(figures.totalRssMb, 0)} MB`,
      );
    }
  }
  return out;
}
