// What the Host page shows: the hosts that have samples, and for one of them the charts, the latest values and its gwqueue processes.
import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/index.js';
import { listSeries, readPoints, tierFor, type Point, type Range, type SeriesInfo } from '../../host/host-store.js';
import { buildChart, field, formatValue, latest, type Chart } from './charts.js';

export interface HostPage {
  host: string | null;
  hosts: { name: string; lastSeen: number; current: boolean }[];
  range: Range;
  from: number;
  to: number;
  stepMs: number;
  intervalMs: number;
  retentionSeconds: number;
  summary: { label: string; value: string }[];
  charts: Chart[];
  processes: {
    label: string;
    pid: number | undefined;
    role: string;
    cpu: string;
    rss: string;
    startedAt: string;
    lastSeen: number;
    online: boolean;
  }[];
  /** The samples themselves (for /flower/host/api): the host's, then each process's. */
  raw: { host: Point[]; processes: { id: string; label: string; points: Point[] }[] };
}

function processLabel(info: SeriesInfo): string {
  return `${info.role || 'process'} (pid ${info.pid ?? '?'})`;
}

function hostCharts(points: Point[], from: number, to: number, gapMs: number): Chart[] {
  const memTotal = latest(points, 'memTotal');
  const diskTotal = latest(points, 'diskTotal');
  const cpus = latest(points, 'cpus');
  const common = { from, to, gapMs };
  return [
    buildChart({
      ...common,
      id: 'cpu',
      title: 'CPU',
      subtitle: 'percent of all cores',
      unit: 'percent',
      lines: [
        { label: 'user', points: field(points, 'cpuUser') },
        { label: 'system', points: field(points, 'cpuSystem') },
        { label: 'I/O wait', points: field(points, 'cpuIowait') },
        { label: 'steal', points: field(points, 'cpuSteal') },
      ],
    }),
    buildChart({
      ...common,
      id: 'memory',
      title: 'Memory',
      subtitle: 'used = total − available',
      unit: 'bytes',
      lines: [
        { label: 'used', points: field(points, 'memUsed') },
        { label: 'page cache', points: field(points, 'memCached') },
        { label: 'swap used', points: field(points, 'swapUsed') },
      ],
      references: memTotal ? [{ value: memTotal, label: 'total' }] : [],
    }),
    buildChart({
      ...common,
      id: 'load',
      title: 'Load average',
      subtitle: 'runnable and waiting tasks',
      unit: 'number',
      lines: [
        { label: '1 min', points: field(points, 'load1') },
        { label: '5 min', points: field(points, 'load5') },
        { label: '15 min', points: field(points, 'load15') },
      ],
      references: cpus ? [{ value: cpus, label: 'cores' }] : [],
    }),
    buildChart({
      ...common,
      id: 'disk',
      title: 'Disk space',
      subtitle: 'file systems of / and the var dir',
      unit: 'bytes',
      lines: [{ label: 'used', points: field(points, 'diskUsed') }],
      references: diskTotal ? [{ value: diskTotal, label: 'size' }] : [],
    }),
    buildChart({
      ...common,
      id: 'diskio',
      title: 'Disk I/O',
      subtitle: 'all disks',
      unit: 'bytesPerSecond',
      lines: [
        { label: 'read', points: field(points, 'diskReadBps') },
        { label: 'written', points: field(points, 'diskWriteBps') },
      ],
    }),
    buildChart({
      ...common,
      id: 'network',
      title: 'Network',
      subtitle: 'all interfaces but loopback',
      unit: 'bytesPerSecond',
      lines: [
        { label: 'received', points: field(points, 'netRxBps') },
        { label: 'sent', points: field(points, 'netTxBps') },
      ],
    }),
    buildChart({
      ...common,
      id: 'processes',
      title: 'Processes',
      subtitle: 'on the host',
      unit: 'number',
      lines: [{ label: 'processes', points: field(points, 'processes') }],
    }),
  ];
}

/** The usual time between two points (0 with fewer than two). */
function medianSpacing(points: Point[]): number {
  const deltas = points
    .slice(1)
    .map((p, i) => p.t - points[i].t)
    .sort((a, b) => a - b);
  return deltas.length ? deltas[Math.floor(deltas.length / 2)] : 0;
}

export async function hostPage(redis: Redis, config: Config, options: { host?: string; range: Range; now?: number }): Promise<HostPage> {
  const now = options.now ?? Date.now();
  const tier = tierFor(config, options.range);
  const from = now - tier.spanMs;
  const series = await listSeries(redis, config);
  const here = os.hostname();
  const hosts = series
    .filter((s) => s.kind === 'host')
    .map((s) => ({ name: s.hostname, lastSeen: s.lastSeen, current: s.hostname === here }));
  const names = hosts.map((h) => h.name);
  const host = options.host && names.includes(options.host) ? options.host : names.includes(here) ? here : (names[0] ?? null);
  const procs = series.filter((s) => s.kind === 'process' && s.hostname === host && s.lastSeen >= from);
  const points = host
    ? await readPoints(redis, config, [`host:${host}`, ...procs.map((p) => p.id)], options.range, now)
    : new Map<string, Point[]>();
  const hp = points.get(`host:${host}`) ?? [];
  // Raw points come at the samplers' interval, which need not be this console's: measure it.
  const stepMs = options.range === 'hour' ? Math.max(tier.stepMs, medianSpacing(hp)) : tier.stepMs;
  const gapMs = stepMs * 2.5;
  const charts = host ? hostCharts(hp, from, now, gapMs) : [];
  if (host) {
    charts.push(
      buildChart({
        id: 'proc-cpu',
        title: 'gwqueue processes: CPU',
        subtitle: 'percent of one core',
        unit: 'percent',
        from,
        to: now,
        gapMs,
        lines: procs.map((p) => ({ label: processLabel(p), points: field(points.get(p.id) ?? [], 'cpu') })),
      }),
      buildChart({
        id: 'proc-memory',
        title: 'gwqueue processes: memory',
        subtitle: 'resident set size',
        unit: 'bytes',
        from,
        to: now,
        gapMs,
        lines: procs.map((p) => ({ label: processLabel(p), points: field(points.get(p.id) ?? [], 'rss') })),
      }),
    );
  }
  const cpuNow = (latest(hp, 'cpuUser') ?? 0) + (latest(hp, 'cpuSystem') ?? 0) + (latest(hp, 'cpuIowait') ?? 0);
  const memUsed = latest(hp, 'memUsed');
  const memTotal = latest(hp, 'memTotal');
  const diskUsed = latest(hp, 'diskUsed');
  const diskTotal = latest(hp, 'diskTotal');
  const summary =
    host && hp.length
      ? [
          { label: 'CPU busy', value: formatValue(cpuNow, 'percent') },
          { label: 'Memory used', value: `${formatValue(memUsed, 'bytes')} of ${formatValue(memTotal, 'bytes')}` },
          {
            label: 'Load (1, 5, 15 min)',
            value:
              ['load1', 'load5', 'load15'].map((f) => formatValue(latest(hp, f), 'number')).join(', ') +
              ` on ${latest(hp, 'cpus') ?? '?'} cores`,
          },
          {
            label: 'Disk used',
            value:
              `${formatValue(diskUsed, 'bytes')} of ${formatValue(diskTotal, 'bytes')}` +
              (diskUsed && diskTotal ? ` (${formatValue((100 * diskUsed) / diskTotal, 'percent')})` : ''),
          },
          {
            label: 'Network in / out',
            value: `${formatValue(latest(hp, 'netRxBps'), 'bytesPerSecond')} / ${formatValue(latest(hp, 'netTxBps'), 'bytesPerSecond')}`,
          },
        ]
      : [];
  const onlineSince = now - Math.max(3 * config.observability.host.sampleIntervalMs, 30_000);
  return {
    host,
    hosts,
    range: options.range,
    from,
    to: now,
    stepMs,
    intervalMs: config.observability.host.sampleIntervalMs,
    retentionSeconds: config.observability.host.retentionSeconds,
    summary,
    charts,
    processes: procs.map((p) => {
      const pts = points.get(p.id) ?? [];
      return {
        label: processLabel(p),
        pid: p.pid,
        role: p.role ?? '',
        cpu: formatValue(latest(pts, 'cpu'), 'percent'),
        rss: formatValue(latest(pts, 'rss'), 'bytes'),
        startedAt: p.startedAt ?? '',
        lastSeen: p.lastSeen,
        online: p.lastSeen >= onlineSince,
      };
    }),
    raw: { host: hp, processes: procs.map((p) => ({ id: p.id, label: processLabel(p), points: points.get(p.id) ?? [] })) },
  };
}
