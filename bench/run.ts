// `npm run bench [-- --peer] [--runs N] [--quick] [--only web]`: starts private servers, runs the benchmarks, prints tables (not a test).
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startRedis } from '../test/helpers/redis-server.js';
import { benchCli, benchEngine } from './engine-bench.js';
import { benchPeerCli, peerMissing } from './peer-cli-bench.js';
import { benchDashboard } from './dashboard-bench.js';
import { benchWebSideBySide, type WebFigures } from './web-bench.js';
import { median, printTable, type Row } from './stats.js';

const { values: args } = parseArgs({
  options: {
    peer: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string' },
  },
});
const quick = args.quick;
const runs = Number(args.runs ?? (quick ? 1 : 3));
if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
  console.error(`bench: --runs must be a whole number from 1 to 20 (got "${args.runs}")`);
  process.exit(64);
}
const only = args.only;
if (only !== undefined && !['engine', 'cli', 'dashboard', 'web'].includes(only)) {
  console.error(`bench: --only must be engine, cli, dashboard or web (got "${only}")`);
  process.exit(64);
}
const wants = (part: string) => only === undefined || only === part;
const missing = args.peer ? peerMissing() : undefined;
if (missing) {
  console.error(`bench: cannot run the peer: ${missing}`);
  process.exit(69);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}; node ${process.version}; ${new Date().toISOString()}`,
);

const redis = await startRedis();
const sideBySide: Row[] = [];
const ratio = (ours: number, peer: number) => (Number.isFinite(ours / peer) ? `${(ours / peer).toFixed(2)}` : '');
const cliRows: [string, number, number][] = [];
const compare = (measure: string, ours: number, peer: number, target = '') =>
  sideBySide.push({ measure, gwqueue: ours, peer, 'gwqueue ÷ peer': ratio(ours, peer), target });
try {
  if (wants('engine'))
    printTable('gwqueue engine', await benchEngine(redis.url, { pings: quick ? 200 : 1000, enqueues: quick ? 2000 : 10_000 }));
  if (wants('cli')) {
    const cli = await benchCli(redis.url);
    printTable('gwqueue command line, node start included', cli.rows);
    if (args.peer) {
      const peer = benchPeerCli();
      cliRows.push(['`gwqueue call` vs `celery call`, wall time (ms), median of 7', cli.medians.call, peer.call]);
      cliRows.push(['`gwqueue nagios` vs `celery inspect ping`, wall time (ms), median of 7', cli.medians.nagios, peer.inspectPing]);
    }
  }
  if (wants('dashboard'))
    printTable(
      'dashboard, retained tasks',
      await benchDashboard(redis.url, { tasks: quick ? 20_000 : 100_000, requests: quick ? 10 : 40 }),
    );
  if (wants('web') && args.peer) {
    const options = { wrkSeconds: quick ? 5 : 10, probeCount: quick ? 100 : 300 };
    console.log(
      `\nform POST /send_preliminary_gcn: ${runs} run(s) per app, wrk -t2 -c32 -d${options.wrkSeconds}s, then drain, then ${options.probeCount} sequential submissions (probe)`,
    );
    const { ours, peer } = await benchWebSideBySide(runs, options, (line) => console.log(`  ${line}`));
    const perRun = (label: string, list: WebFigures[]) =>
      list.map((f, i) => ({
        app: label,
        run: i + 1,
        'req/s': f.rps,
        'wrk p50': f.wrkP50,
        'wrk p99': f.wrkP99,
        'probe POST p50': f.postP50,
        'done p50': f.doneP50,
        'done p95': f.doneP95,
        'done p99': f.doneP99,
        'wait p50': f.waitP50,
        'wait p99': f.waitP99,
        'drain s': f.drainS,
        'web MB': `${f.webRssMb.toFixed(0)} (${f.webProcesses})`,
        'worker MB': `${f.workerRssMb.toFixed(0)} (${f.workerProcesses})`,
      }));
    printTable('each run (ms unless said; RSS after the load, MB (processes))', [...perRun('gwqueue', ours), ...perRun('peer', peer)]);
    const m = (list: WebFigures[], key: keyof WebFigures) => median(list.map((f) => f[key]));
    compare(`form POST throughput, wrk -t2 -c32 -d${options.wrkSeconds}s (req/s)`, m(ours, 'rps'), m(peer, 'rps'), '≥ 5');
    compare('form POST latency under that load, p50 (ms)', m(ours, 'wrkP50'), m(peer, 'wrkP50'), '≤ 0.5');
    compare('form POST latency under that load, p99 (ms)', m(ours, 'wrkP99'), m(peer, 'wrkP99'), '≤ 0.5');
    compare(`submit→done, ${options.probeCount} sequential, p50 (ms)`, m(ours, 'doneP50'), m(peer, 'doneP50'), '≤ 0.5');
    compare(`submit→done, ${options.probeCount} sequential, p95 (ms)`, m(ours, 'doneP95'), m(peer, 'doneP95'), '≤ 0.5');
    compare(`submit→done, ${options.probeCount} sequential, p99 (ms)`, m(ours, 'doneP99'), m(peer, 'doneP99'), '≤ 0.5');
    // The same submissions, ours asked with ?wait=10 (one request answered when the task ends) instead of polled.
    compare('submit→done, ours with ?wait=10, peer polled, p50 (ms)', m(ours, 'waitP50'), m(peer, 'doneP50'));
    compare('submit→done, ours with ?wait=10, peer polled, p95 (ms)', m(ours, 'waitP95'), m(peer, 'doneP95'));
    compare('submit→done, ours with ?wait=10, peer polled, p99 (ms)', m(ours, 'waitP99'), m(peer, 'doneP99'));
    compare('form POST alone, sequential, p50 (ms)', m(ours, 'postP50'), m(peer, 'postP50'));
    compare('queue drained after the wrk run (s)', m(ours, 'drainS'), m(peer, 'drainS'));
    compare(
      `web processes' RSS after the load (MB; ${ours[0].webProcesses} vs ${peer[0].webProcesses} processes)`,
      m(ours, 'webRssMb'),
      m(peer, 'webRssMb'),
    );
    compare(
      `worker processes' RSS after the load (MB; ${ours[0].workerProcesses} vs ${peer[0].workerProcesses} processes)`,
      m(ours, 'workerRssMb'),
      m(peer, 'workerRssMb'),
    );
  }
  for (const [measure, ours, peer] of cliRows) compare(measure, ours, peer, '≤ 0.5');
  printTable(`gwqueue and the Flask + Celery peer side by side (medians of ${runs} run(s) each)`, sideBySide);
} finally {
  await redis.stop();
}
