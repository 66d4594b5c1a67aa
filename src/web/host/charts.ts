// Turns host and process samples into SVG line charts (drawn on the server, so the Host page works without JavaScript) with Munin-style legends.
import type { Point, Values } from '../../host/host-store.js';

export type Unit = 'percent' | 'bytes' | 'bytesPerSecond' | 'number';

export interface LineInput {
  label: string;
  points: { t: number; v: number | undefined }[];
}

export interface ChartLine {
  label: string;
  colour: string;
  /** SVG path data; gaps (missing samples) split it. */
  path: string;
  last: string;
  min: string;
  avg: string;
  max: string;
}

export interface Chart {
  id: string;
  title: string;
  subtitle: string;
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  yTicks: { y: number; label: string }[];
  xTicks: { x: number; label: string }[];
  lines: ChartLine[];
  /** Horizontal reference lines (memory total, CPU count…). */
  references: { y: number; label: string }[];
  empty: boolean;
}

const COLOURS = ['#0d6efd', '#dc3545', '#198754', '#fd7e14', '#6f42c1', '#20c997', '#d63384', '#6c757d', '#0dcaf0', '#ffc107'];
const WIDTH = 640;
const HEIGHT = 200;
const PLOT = { left: 74, top: 10, right: WIDTH - 10, bottom: HEIGHT - 24 };

const KIB = 1024;
export function formatValue(value: number | undefined, unit: Unit): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  if (unit === 'percent') return `${value.toFixed(value < 10 ? 1 : 0)} %`;
  if (unit === 'number') return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2).replace(/\.?0+$/, '');
  const suffix = unit === 'bytesPerSecond' ? '/s' : '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let index = 0;
  while (Math.abs(scaled) >= KIB && index < units.length - 1) {
    scaled /= KIB;
    index++;
  }
  return `${scaled.toFixed(scaled >= 100 || index === 0 ? 0 : 1)} ${units[index]}${suffix}`;
}

/** A "nice" axis maximum and step (1, 2 or 5 times a power of ten; powers of 1024 for bytes). */
function niceScale(max: number, unit: Unit): { top: number; step: number } {
  if (unit === 'percent' && max <= 100) return { top: 100, step: 25 };
  const bytes = unit === 'bytes' || unit === 'bytesPerSecond';
  // Whole bytes: an idle network gets 0–4 B/s, not fractions of a byte.
  if (bytes && !(max > 4)) return { top: 4, step: 1 };
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const base = bytes ? KIB ** Math.floor(Math.log(max) / Math.log(KIB)) : 1;
  const scaled = max / base;
  const magnitude = 10 ** Math.floor(Math.log10(scaled / 4));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => scaled / s <= 4) ?? 10 * magnitude;
  return { top: Math.ceil(scaled / step) * step * base, step: step * base };
}

function timeTicks(from: number, to: number): { t: number; label: string }[] {
  const span = to - from;
  const candidates = [
    60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
    2_592_000_000,
  ];
  const step = candidates.find((s) => span / s <= 7) ?? candidates[candidates.length - 1];
  const ticks: { t: number; label: string }[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    const iso = new Date(t).toISOString();
    ticks.push({
      t,
      label:
        step >= 86_400_000
          ? iso.slice(5, 10)
          : step >= 3_600_000 && span > 86_400_000
            ? `${iso.slice(5, 10)} ${iso.slice(11, 13)}h`
            : iso.slice(11, 16),
    });
  }
  return ticks;
}

export interface ChartSpec {
  id: string;
  title: string;
  subtitle: string;
  unit: Unit;
  lines: LineInput[];
  references?: { value: number; label: string }[];
  from: number;
  to: number;
  /** Points further apart than this leave a gap. */
  gapMs: number;
}

export function buildChart(spec: ChartSpec): Chart {
  const values = spec.lines
    .flatMap((line) => line.points.map((p) => p.v))
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  const refs = spec.references ?? [];
  // A little headroom, so that a line or reference at the maximum is not drawn on the frame (nor its label cut).
  const { top, step } = niceScale(Math.max(0, ...values, ...refs.map((r) => r.value)) * 1.08, spec.unit);
  const x = (t: number) => PLOT.left + ((t - spec.from) / (spec.to - spec.from)) * (PLOT.right - PLOT.left);
  const y = (v: number) => PLOT.bottom - (Math.min(v, top) / top) * (PLOT.bottom - PLOT.top);
  const yTicks: Chart['yTicks'] = [];
  for (let v = 0; v <= top + step / 1000; v += step) yTicks.push({ y: Math.round(y(v) * 10) / 10, label: formatValue(v, spec.unit) });
  const lines = spec.lines.map((line, index): ChartLine => {
    let path = '';
    let previous: number | undefined;
    let segment = 0;
    const seen: number[] = [];
    // A segment of one point (a lone sample between gaps) is drawn as a dot: a tiny stroke with round caps.
    const closeSegment = () => (segment === 1 ? 'h0.1' : '');
    for (const point of line.points) {
      if (point.v === undefined || !Number.isFinite(point.v) || point.t < spec.from) continue;
      const gap = previous === undefined || point.t - previous > spec.gapMs;
      if (gap) path += closeSegment();
      segment = gap ? 1 : segment + 1;
      path += `${gap ? 'M' : 'L'}${x(point.t).toFixed(1)},${y(point.v).toFixed(1)}`;
      previous = point.t;
      seen.push(point.v);
    }
    path += closeSegment();
    const avg = seen.length ? seen.reduce((a, b) => a + b, 0) / seen.length : undefined;
    return {
      label: line.label,
      colour: COLOURS[index % COLOURS.length],
      path,
      last: formatValue(seen[seen.length - 1], spec.unit),
      min: formatValue(seen.length ? Math.min(...seen) : undefined, spec.unit),
      avg: formatValue(avg, spec.unit),
      max: formatValue(seen.length ? Math.max(...seen) : undefined, spec.unit),
    };
  });
  return {
    id: spec.id,
    title: spec.title,
    subtitle: spec.subtitle,
    width: WIDTH,
    height: HEIGHT,
    plot: PLOT,
    yTicks,
    xTicks: timeTicks(spec.from, spec.to).map((tick) => ({ x: Math.round(x(tick.t) * 10) / 10, label: tick.label })),
    lines,
    references: refs.map((ref) => ({ y: Math.round(y(ref.value) * 10) / 10, label: `${ref.label} ${formatValue(ref.value, spec.unit)}` })),
    empty: values.length === 0,
  };
}

/** One field of a series as a line. */
export function field(
  points: Point[],
  name: string,
  map: (v: number, values: Values) => number | undefined = (v) => v,
): LineInput['points'] {
  return points.map((p) => {
    const v = p.v[name];
    return { t: p.t, v: v === undefined ? undefined : map(v, p.v) };
  });
}

/** The latest value of a field, or undefined. */
export function latest(points: Point[], name: string): number | undefined {
  for (let i = points.length - 1; i >= 0; i--) {
    const v = points[i].v[name];
    if (v !== undefined) return v;
  }
  return undefined;
}
