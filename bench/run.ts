// `npm run bench [-- --peer] [--runs N] [--quick] [--only engine|cli|dashboard|web|operator] [--tasks N] [--ab-heap]`: starts private servers, runs the benchmarks, prints tables and each ratio against its target (measured, never asserted).
import os from 'node:os';
import { startRedis } from '../test/helpers/redis-server.js';
import { benchCli, benchEngine } from './engine-bench.js';
import { benchPeerCli, peerMissing } from './peer-cli-bench.js';
import { benchDashboard } from './dashboard-bench.js';
import { benchOperator } from './operator-bench.js';
import { APP_LABELS, APPS, benchWeb, type AppKey, type WebFigures } from './web-bench.js';
import { fmt, median, NOT_APPLICABLE, printTable, type Row } from './stats.js';
import { optionsOrExit, parseBenchArgs } from './options.js';

const args = optionsOrExit(parseBenchArgs(process.argv.slice(2)));
const { quick, runs, only } = args;
const wants = (part: string) => only === undefined || only === part;
const missing = args.peer ? peerMissing() : undefined;
const peerRuns = args.peer && !missing;

/**
 * The peer's figures as issue 17 quotes them (a quiet run of this 2-core machine, medians of 3): used, and labelled as
 * quoted, only when the peer cannot run here.
 */
const QUOTED_PEER = {
  rps: 513,
  wrkP99: 96,
  doneP50: 6.94,
  doneP95: 10.6,
  doneP99: 13.3,
  webRssMb: 122,
  webProcesses: 3,
  workerRssMb: 142,
  workerProcesses: 3,
  call: 776,
};
/** A measure whose runs spread more than this around their median is noisy (the peer's README: under 15 % is noise here). */
const NOISE = 0.15;

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const [load1, load5] = os.loadavg();
console.log(
  `machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}; node ${process.version}; ${new Date().toISOString()}; load average before the bench ${load1.toFixed(2)} (1 min), ${load5.toFixed(2)} (5 min)`,
);
if (args.peer && missing)
  console.log(`peer: cannot run here (${missing}); its column is the figures quoted in issue 17, not measured in this run`);

/** The runs' spread as "min–max", over the runs that have the figure. */
const range = (values: number[]) => {
  const finite = values.filter(Number.isFinite);
  return finite.length ? `${fmt(Math.min(...finite), 0)}–${fmt(Math.max(...finite), 0)}` : NOT_APPLICABLE;
};
const ratio = (ours: number, theirs: number) => (Number.isFinite(ours / theirs) ? ours / theirs : NaN);
/** Each ratio and its target: [what, value, target text, met]. */
const targets: Row[] = [];
const target = (measure: string, value: number, limit: number, direction: '≥' | '≤', note = '') =>
  targets.push({
    ratio: measure,
    value: fmt(value),
    target: `${direction} ${limit}`,
    met: Number.isFinite(value) ? ((direction === '≥' ? value >= limit : value <= limit) ? 'yes' : 'NO') : NOT_APPLICABLE,
    note,
  });

const redis = await startRedis();
try {
  if (wants('engine'))
    printTable('gwqueue engine', await benchEngine(redis.url, { pings: quick ? 200 : 1000, enqueues: quick ? 2000 : 10_000 }));

  if (wants('cli')) {
    const cli = await benchCli(redis.url);
    printTable('gwqueue command line, node start included', cli.rows);
    const peer = peerRuns ? await benchPeerCli() : undefined;
    const peerLabel = peer ? '' : ' (peer: quoted in issue 17)';
    if (peer || args.peer) {
      printTable('one-shot commands, wall time (ms), median of 7', [
        { command: '`gwqueue call` / `celery call`', gwqueue: cli.medians.call, peer: peer?.call ?? QUOTED_PEER.call },
        ...(peer ? [{ command: '`gwqueue nagios` / `celery inspect ping`', gwqueue: cli.medians.nagios, peer: peer.inspectPing }] : []),
      ]);
      target(`gwqueue call ÷ celery call${peerLabel}`, ratio(cli.medians.call, peer?.call ?? QUOTED_PEER.call), 0.5, '≤');
      if (peer) target('gwqueue nagios ÷ celery inspect ping', ratio(cli.medians.nagios, peer.inspectPing), 0.37, '≤', 'keep');
    }
  }

  if (wants('dashboard'))
    printTable(
      'dashboard, retained tasks',
      await benchDashboard(redis.url, { tasks: args.tasks ?? (quick ? 20_000 : 100_000), requests: quick ? 10 : 40 }),
    );

  if (wants('web')) await web();

  if (wants('operator')) {
    const runs = quick ? 20 : 100;
    console.log(
      `\nthe operator's path: ${runs} preliminary alerts (after 5 not counted), one after another, each from its POST (API token, Idempotency-Key) until the PRELIMINARY alert is read from the outbox; gwqueue as deployed with the embedded GraceDB and the real tasks`,
    );
    const operator = await benchOperator({ runs });
    printTable('POST to PRELIMINARY alert in the outbox (ms)', operator.rows);
    printTable(
      'where the time goes: each stage of the chain, from the task timestamps BullMQ keeps (ms, whole milliseconds)',
      operator.stages,
    );
  }
  printTable(`each ratio against its target (medians; the form path over ${runs} run(s) per app)`, targets);
} finally {
  await redis.stop();
}

async function web(): Promise<void> {
  const options = { wrkSeconds: quick ? 5 : 10, probeCount: quick ? 100 : 300, ...(args.abFlags ? { abFlags: args.abFlags } : {}) };
  // Every app in APPS's order; the peer with --peer, the A/B's second app with --ab-heap or --ab-flags.
  const apps: AppKey[] = APPS.filter((key) => (key !== 'peer' || peerRuns) && (key !== 'api-v8heap' || args.abHeap));
  console.log(
    `\nform POST /send_preliminary_gcn: ${runs} run(s) per app (${apps.map((key) => APP_LABELS[key]).join(', ')}), each started fresh: wrk -t2 -c32 -d${options.wrkSeconds}s, then drain, then ${options.probeCount} sequential submissions (probe; not on the browser path), then RSS`,
  );
  const figures = await benchWeb(apps, runs, options, (line) => console.log(`  ${line}`));

  // Medians, and which runs were noisy: a figure more than NOISE off its app's median.
  const keys = [
    'rps',
    'wrkP50',
    'wrkP99',
    'postP50',
    'doneP50',
    'doneP95',
    'doneP99',
    'waitP50',
    'waitP99',
    'webRssMb',
    'workerRssMb',
    'totalRssMb',
    'webPssMb',
    'workerPssMb',
    'cpuWebMs',
    'cpuWorkerMs',
    'cpuRedisMs',
    'cpuTotalMs',
  ] as const;
  type Key = (typeof keys)[number];
  const m = (key: AppKey, measure: Key) => median(figures[key].map((f) => f[measure]));
  const off = (key: AppKey, f: WebFigures) =>
    keys.filter((measure) => {
      const mid = m(key, measure);
      return Number.isFinite(f[measure]) && Math.abs(f[measure] - mid) > NOISE * mid;
    });
  printTable(
    `each run (ms unless said; RSS after the load, MB (processes)); "off the median": figures more than ${NOISE * 100} % from the app's median`,
    apps.flatMap((key) =>
      figures[key].map((f, i) => ({
        app: APP_LABELS[key],
        run: i + 1,
        'req/s': f.rps,
        'wrk p50': f.wrkP50,
        'wrk p99': f.wrkP99,
        'probe POST p50': fmt(f.postP50),
        'done p50': fmt(f.doneP50),
        'done p95': fmt(f.doneP95),
        'done p99': fmt(f.doneP99),
        'wait p50': fmt(f.waitP50),
        'wait p99': fmt(f.waitP99),
        'drain s': f.drainS,
        'web MB': `${fmt(f.webRssMb, 0)} (${f.webProcesses})`,
        'worker MB': `${fmt(f.workerRssMb, 0)} (${f.workerProcesses})`,
        'off the median': runs > 1 ? off(key, f).join(', ') : '',
      })),
    ),
  );

  const peer = (measure: Key & keyof typeof QUOTED_PEER) => (peerRuns ? m('peer', measure) : QUOTED_PEER[measure]);
  const peerColumn = peerRuns ? 'peer' : 'peer (quoted in issue 17)';
  const spread = (key: AppKey, measure: Key) => {
    const values = figures[key].map((f) => f[measure]).filter(Number.isFinite);
    const mid = median(values);
    return values.length > 1 && (Math.max(...values) - Math.min(...values)) / mid > 2 * NOISE ? ' ~' : '';
  };
  const cell = (key: AppKey, measure: Key, digits = 2) => `${fmt(m(key, measure), digits)}${spread(key, measure)}`;
  const row = (measure: string, key: Key, digits = 2, peerValue?: number) => ({
    measure,
    'bare stack': cell('bare', key, digits),
    'bare stack on Express': cell('floor', key, digits),
    "…with gwqueue's Redis steps": cell('floor-steps', key, digits),
    '…and its worker apart': cell('floor-split', key, digits),
    '…and a browser': cell('floor-browser', key, digits),
    'gwqueue, API token': cell('api', key, digits),
    'gwqueue, browser': cell('browser', key, digits),
    'gwqueue, API token, 2 console processes': cell('api-2p', key, digits),
    'gwqueue, API token, 2 workers': cell('api-2w', key, digits),
    [peerColumn]: fmt(peerValue ?? (peerRuns ? m('peer', key) : NaN), digits),
  });
  const ours = figures.api[0];
  const peerProcesses = peerRuns ? figures.peer[0] : QUOTED_PEER;
  printTable(`side by side, medians of ${runs} run(s) ("~": the runs spread more than ${2 * NOISE * 100} % of the median)`, [
    row(`form POST throughput, wrk -t2 -c32 -d${options.wrkSeconds}s (req/s)`, 'rps', 0, peer('rps')),
    row('form POST latency under that load, p50 (ms)', 'wrkP50'),
    row('form POST latency under that load, p99 (ms)', 'wrkP99', 2, peer('wrkP99')),
    row(`submit→done, ${options.probeCount} sequential, p50 (ms)`, 'doneP50', 2, peer('doneP50')),
    row(`submit→done, ${options.probeCount} sequential, p95 (ms)`, 'doneP95', 2, peer('doneP95')),
    row(`submit→done, ${options.probeCount} sequential, p99 (ms)`, 'doneP99', 2, peer('doneP99')),
    row('submit→done with ?wait=10 instead of polling, p50 (ms)', 'waitP50'),
    row('submit→done with ?wait=10 instead of polling, p99 (ms)', 'waitP99'),
    row('form POST alone, sequential, p50 (ms)', 'postP50'),
    row(
      `web processes' RSS after the load (MB; bare 1, gwqueue ${ours.webProcesses}, peer ${peerProcesses.webProcesses} processes)`,
      'webRssMb',
      0,
      peer('webRssMb'),
    ),
    row(
      `worker processes' RSS (MB; gwqueue ${ours.workerProcesses}, peer ${peerProcesses.workerProcesses} processes)`,
      'workerRssMb',
      0,
      peer('workerRssMb'),
    ),
    row(`web processes' PSS after the load (MB; shared pages counted once)`, 'webPssMb', 0),
    row(`worker processes' PSS (MB)`, 'workerPssMb', 0),
    row(
      'all processes but Redis, RSS (MB)',
      'totalRssMb',
      0,
      peerRuns ? m('peer', 'totalRssMb') : QUOTED_PEER.webRssMb + QUOTED_PEER.workerRssMb,
    ),
  ]);
  // Where the time goes. On a CPU-bound box the apps' req/s go as the inverse of their CPU per submission; the work left
  // queued after wrk (drained before the second reading) is counted too, so an app that outruns its workers is not
  // flattered.
  printTable(
    `CPU per submission by process group, from wrk's start to the end of the drain (ms, medians of ${runs}) and ÷ the bare stack's and the peer's`,
    apps.map((key) => ({
      app: APP_LABELS[key],
      web: fmt(m(key, 'cpuWebMs'), 3),
      workers: fmt(m(key, 'cpuWorkerMs'), 3),
      Redis: fmt(m(key, 'cpuRedisMs'), 3),
      all: fmt(m(key, 'cpuTotalMs'), 3),
      '÷ bare': fmt(ratio(m(key, 'cpuTotalMs'), m('bare', 'cpuTotalMs')), 2),
      '÷ peer': peerRuns ? fmt(ratio(m(key, 'cpuTotalMs'), m('peer', 'cpuTotalMs')), 2) : NOT_APPLICABLE,
    })),
  );

  // RSS of every process, median over the runs.
  const perProcess: Row[] = [];
  for (const key of apps) {
    const names = figures[key][0].processes.map((p) => p.process);
    for (const name of names) {
      const values = figures[key].map((f) => f.processes.find((p) => p.process === name)?.mb ?? NaN);
      const pss = figures[key].map((f) => f.processes.find((p) => p.process === name)?.pssMb ?? NaN);
      const role = figures[key][0].processes.find((p) => p.process === name)?.role ?? '';
      perProcess.push({
        app: APP_LABELS[key],
        process: name,
        role,
        'RSS MB (median)': median(values),
        'min–max': range(values),
        'PSS MB (median)': median(pss),
      });
    }
  }
  printTable('RSS and PSS per process after the load (MB)', perProcess);

  if (args.abHeap) {
    const other = args.abFlags ? args.abFlags.join(' ') : "V8's defaults";
    printTable(
      `A/B in the same runs: V8's heap sized as deployed (2 MB semispaces, heap grown by 50 %, one background thread) against ${other}, API-token path, medians of ${runs}`,
      (['rps', 'wrkP99', 'doneP50', 'doneP99', 'webRssMb', 'workerRssMb', 'cpuWebMs', 'cpuWorkerMs', 'cpuTotalMs'] as const).map(
        (measure) => ({
          measure,
          'as deployed': fmt(m('api', measure), 3),
          [other]: fmt(m('api-v8heap', measure), 3),
          'deployed ÷ other': fmt(ratio(m('api', measure), m('api-v8heap', measure)), 2),
        }),
      ),
    );
  }

  // The targets of issue 29: CPU against the floor of the required parts (the bare stack on Express), the rest against the peer.
  const quoted = peerRuns ? '' : ' (peer quoted)';
  const floorCpu = m('floor', 'cpuTotalMs');
  target('CPU per submission, all processes, API token ÷ bare stack on Express', ratio(m('api', 'cpuTotalMs'), floorCpu), 1.8, '≤');
  target('CPU per submission, all processes, browser ÷ bare stack on Express', ratio(m('browser', 'cpuTotalMs'), floorCpu), 2.5, '≤');
  target(
    'CPU per submission, all processes, API token, 2 console processes ÷ bare stack on Express',
    ratio(m('api-2p', 'cpuTotalMs'), floorCpu),
    1.8,
    '≤',
    'for information',
  );
  target(
    'CPU per submission, all processes, API token, 2 workers sharing the queues ÷ bare stack on Express',
    ratio(m('api-2w', 'cpuTotalMs'), floorCpu),
    1.8,
    '≤',
    'for information',
  );
  target(
    "CPU per submission, all processes, API token ÷ bare stack on Express with gwqueue's Redis steps",
    ratio(m('api', 'cpuTotalMs'), m('floor-steps', 'cpuTotalMs')),
    1.8,
    '≤',
    'for information: the floor of the required parts',
  );
  target(
    'CPU per submission, all processes, API token ÷ the same with its worker in a process of its own',
    ratio(m('api', 'cpuTotalMs'), m('floor-split', 'cpuTotalMs')),
    1.8,
    '≤',
    'for information: the required parts in separate web and worker processes',
  );
  target(
    "CPU per submission, all processes, browser ÷ the required parts of a browser's submission (session, CSRF, one-time token)",
    ratio(m('browser', 'cpuTotalMs'), m('floor-browser', 'cpuTotalMs')),
    2.5,
    '≤',
    "for information: the browser path's floor",
  );
  target(
    "CPU per submission, the required parts of a browser's submission ÷ bare stack on Express",
    ratio(m('floor-browser', 'cpuTotalMs'), floorCpu),
    2.5,
    '≤',
    'for information: what the browser target leaves',
  );
  target(`POST p99 under load, API token ÷ peer${quoted}`, ratio(m('api', 'wrkP99'), peer('wrkP99')), 1, '≤');
  target(`POST p99 under load, browser ÷ peer${quoted}`, ratio(m('browser', 'wrkP99'), peer('wrkP99')), 1, '≤');
  target(`submit→done p50 ÷ peer${quoted}`, ratio(m('api', 'doneP50'), peer('doneP50')), 0.6, '≤');
  target(`submit→done p99 ÷ peer${quoted}`, ratio(m('api', 'doneP99'), peer('doneP99')), 0.8, '≤');
  const peerTotal = peerRuns ? m('peer', 'totalRssMb') : QUOTED_PEER.webRssMb + QUOTED_PEER.workerRssMb;
  target(`RSS of every process but Redis, API token ÷ peer${quoted}`, ratio(m('api', 'totalRssMb'), peerTotal), 1.3, '≤');
  target(`RSS of every process but Redis, browser ÷ peer${quoted}`, ratio(m('browser', 'totalRssMb'), peerTotal), 1.3, '≤');
  target(
    `RSS of every process but Redis, 2 console processes ÷ peer${quoted}`,
    ratio(m('api-2p', 'totalRssMb'), peerTotal),
    1.3,
    '≤',
    'for information',
  );
  target(
    `RSS of every process but Redis, 2 workers sharing the queues ÷ peer${quoted}`,
    ratio(m('api-2w', 'totalRssMb'), peerTotal),
    1.3,
    '≤',
    'for information',
  );
  if (peerRuns) {
    const pssNote = 'PSS, for information: the target is set on RSS';
    const pss = (key: AppKey) => m(key, 'webPssMb') + m(key, 'workerPssMb');
    target("PSS of every process but Redis, API token ÷ peer's", ratio(pss('api'), pss('peer')), 1.3, '≤', pssNote);
  }
}
