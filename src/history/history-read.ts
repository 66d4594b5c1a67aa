// Reads the dashboard's history back as chart series (tasks per minute, runtime percentiles, queue depth, workers online) and summary rows.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { bucketValue, HOUR_MS, MINUTE_MS } from './history-counters.js';
import { historyKeys } from '../redis/keys.js';

export const HISTORY_RANGES = {
  hour: { spanMs: HOUR_MS, stepMs: MINUTE_MS },
  day: { spanMs: 24 * HOUR_MS, stepMs: 5 * MINUTE_MS },
  week: { spanMs: 7 * 24 * HOUR_MS, stepMs: HOUR_MS },
  month: { spanMs: 30 * 24 * HOUR_MS, stepMs: 3 * HOUR_MS },
} as const;
export type HistoryRange = keyof typeof HISTORY_RANGES;

type Series = (number | null)[];

export interface CountSeries {
  name: string;
  received: number[];
  succeeded: number[];
  failed: number[];
}

export interface SummaryRow {
  name: string;
  received: number;
  succeeded: number;
  failed: number;
  retried: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface History {
  range: HistoryRange;
  stepMs: number;
  /** Start of each point (ms); counts are tasks per minute averaged over the point. */
  times: number[];
  totals: CountSeries & { retried: number[] };
  runtime: { p50: Series; p95: Series; p99: Series };
  workers: Series;
  depth: { name: string; values: Series }[];
  byTask: CountSeries[];
  byQueue: CountSeries[];
  summary: { total: SummaryRow; tasks: SummaryRow[]; queues: SummaryRow[] };
}

/** The value below which `p` of the runtimes fall, from merged bucket counts. */
export function percentileOf(buckets: Map<number, number>, p: number): number | null {
  let total = 0;
  for (const count of buckets.values()) total += count;
  if (!total) return null;
  const rank = Math.ceil(p * total);
  let seen = 0;
  for (const bucket of [...buckets.keys()].sort((a, b) => a - b)) {
    seen += buckets.get(bucket)!;
    if (seen >= rank) return Math.round(bucketValue(bucket) * 10) / 10;
  }
  return null;
}

const addTo = (map: Map<number, number>, bucket: number, count: number) => map.set(bucket, (map.get(bucket) ?? 0) + count);

interface Totals {
  received: number;
  succeeded: number;
  failed: number;
  retried: number;
  runtimes: Map<number, number>;
}
const emptyTotals = (): Totals => ({ received: 0, succeeded: 0, failed: 0, retried: 0, runtimes: new Map() });
const row = (name: string, t: Totals): SummaryRow => ({
  name,
  received: t.received,
  succeeded: t.succeeded,
  failed: t.failed,
  retried: t.retried,
  p50Ms: percentileOf(t.runtimes, 0.5),
  p95Ms: percentileOf(t.runtimes, 0.95),
});

/** Reads the hashes of a range (minute hashes up to a day, hour hashes beyond) and folds them into points. */
export async function readHistory(redis: Redis, config: Config, range: HistoryRange, now = Date.now(), topN = 8): Promise<History> {
  const { spanMs, stepMs } = HISTORY_RANGES[range];
  const sourceMs = stepMs >= HOUR_MS ? HOUR_MS : MINUTE_MS;
  const end = Math.floor(now / stepMs) * stepMs + stepMs;
  const start = end - Math.ceil(spanMs / stepMs) * stepMs;
  const points = (end - start) / stepMs;
  const perPoint = stepMs / sourceMs;
  const pipeline = redis.pipeline();
  for (let at = start; at < end; at += sourceMs) {
    pipeline.hgetall(sourceMs === HOUR_MS ? historyKeys.hour(config, at / HOUR_MS) : historyKeys.minute(config, at / MINUTE_MS));
  }
  const replies = (await pipeline.exec()) ?? [];
  const failed = replies.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
  const hashes = replies.map(([, value]) => (value ?? {}) as Record<string, string>);

  const minutesPerPoint = stepMs / MINUTE_MS;
  const zeros = () => new Array<number>(points).fill(0);
  const totals = { name: 'all', received: zeros(), succeeded: zeros(), failed: zeros(), retried: zeros() };
  const runtimeBuckets = Array.from({ length: points }, () => new Map<number, number>());
  const workerSums = zeros();
  const sampleCounts = zeros();
  const depthSums = new Map<string, number[]>();
  const series = { task: new Map<string, CountSeries>(), queue: new Map<string, CountSeries>() };
  const summary = { total: emptyTotals(), task: new Map<string, Totals>(), queue: new Map<string, Totals>() };

  hashes.forEach((hash, index) => {
    const point = Math.floor(index / perPoint);
    const samples = sourceMs === HOUR_MS ? Number(hash.samples ?? 0) : 'workers' in hash ? 1 : 0;
    sampleCounts[point] += samples;
    for (const [field, raw] of Object.entries(hash)) {
      const value = Number(raw) || 0;
      const parts = field.split('|');
      const kind = parts[0];
      if (kind === 'workers') workerSums[point] += value;
      else if (kind === 'depth') {
        let sums = depthSums.get(parts[1]);
        if (!sums) depthSums.set(parts[1], (sums = zeros()));
        sums[point] += value;
      } else if (kind === 'rt') {
        if (parts.length === 2) {
          addTo(runtimeBuckets[point], Number(parts[1]), value);
          addTo(summary.total.runtimes, Number(parts[1]), value);
        } else if (parts[1] === 'task') {
          const totalsOf = summary.task.get(parts[2]) ?? emptyTotals();
          summary.task.set(parts[2], totalsOf);
          addTo(totalsOf.runtimes, Number(parts[3]), value);
        }
      } else if (kind === 'received' || kind === 'succeeded' || kind === 'failed' || kind === 'retried') {
        if (parts.length === 1) {
          totals[kind][point] += value;
          summary.total[kind] += value;
        } else if (parts[1] === 'task' || parts[1] === 'queue') {
          const by = parts[1];
          const name = parts.slice(2).join('|');
          const totalsOf = summary[by].get(name) ?? emptyTotals();
          summary[by].set(name, totalsOf);
          totalsOf[kind] += value;
          if (kind !== 'retried') {
            let s = series[by].get(name);
            if (!s) series[by].set(name, (s = { name, received: zeros(), succeeded: zeros(), failed: zeros() }));
            s[kind][point] += value;
          }
        }
      }
    }
  });

  const rate = (values: number[]) => values.map((v) => Math.round((v / minutesPerPoint) * 10_000) / 10_000);
  const rates = <T extends CountSeries>(s: T): T => ({
    ...s,
    received: rate(s.received),
    succeeded: rate(s.succeeded),
    failed: rate(s.failed),
  });
  const top = (map: Map<string, CountSeries>, totalsMap: Map<string, Totals>) =>
    [...map.values()]
      .sort(
        (a, b) =>
          totalsMap.get(b.name)!.received +
            totalsMap.get(b.name)!.failed -
            (totalsMap.get(a.name)!.received + totalsMap.get(a.name)!.failed) || a.name.localeCompare(b.name),
      )
      .slice(0, topN)
      .map(rates);
  const average = (sums: number[]) => sums.map((sum, i) => (sampleCounts[i] ? Math.round((sum / sampleCounts[i]) * 10) / 10 : null));
  const byName = (map: Map<string, Totals>) =>
    [...map]
      .map(([name, t]) => row(name, t))
      .sort((a, b) => b.received + b.failed - (a.received + a.failed) || a.name.localeCompare(b.name));

  return {
    range,
    stepMs,
    times: Array.from({ length: points }, (_, i) => start + i * stepMs),
    totals: { ...rates(totals), retried: rate(totals.retried) },
    runtime: {
      p50: runtimeBuckets.map((b) => percentileOf(b, 0.5)),
      p95: runtimeBuckets.map((b) => percentileOf(b, 0.95)),
      p99: runtimeBuckets.map((b) => percentileOf(b, 0.99)),
    },
    workers: average(workerSums),
    depth: [...depthSums].sort(([a], [b]) => a.localeCompare(b)).map(([name, sums]) => ({ name, values: average(sums) })),
    byTask: top(series.task, summary.task),
    byQueue: top(series.queue, summary.queue),
    summary: { total: row('all tasks', summary.total), tasks: byName(summary.task), queues: byName(summary.queue) },
  };
}
