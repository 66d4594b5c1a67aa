// Threshold options in their text forms: "warn,crit" pairs per metric, and -w/-c lists (ranges in order, or metric=range).
import { parseRange } from './nagios-range.js';
import { METRICS, type MetricName, type Threshold, type ThresholdOverrides } from './check-types.js';

export class ThresholdOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ThresholdOptionError';
  }
}

function checkedRange(text: string, what: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  try {
    return parseRange(trimmed).text;
  } catch (error) {
    throw new ThresholdOptionError(`${what}: ${(error as Error).message}`);
  }
}

/** "30,120" → warning 30, critical 120; either side may be empty for no threshold (",120"). */
export function parseThresholdPair(text: string, what = 'threshold'): Threshold {
  const parts = text.split(',');
  if (parts.length !== 2)
    throw new ThresholdOptionError(`${what}: expected "warning,critical" (e.g. 10,50; leave one empty for none: ,50), got "${text}"`);
  return { warning: checkedRange(parts[0], `${what} warning`), critical: checkedRange(parts[1], `${what} critical`) };
}

/**
 * A -w/-c list: comma-separated ranges, each either `metric=range` or a bare range that applies to the metric at its
 * position (waiting, oldest-waiting-age, failure-ratio, failed-alerts, workers-online, canary-age, redis-memory). An empty
 * item leaves its metric alone.
 */
export function parseThresholdList(text: string, level: 'warning' | 'critical'): Partial<Record<MetricName, string>> {
  const out: Partial<Record<MetricName, string>> = {};
  text.split(',').forEach((item, position) => {
    if (!item.trim()) return;
    const equals = item.indexOf('=');
    let metric: MetricName;
    let range: string;
    if (equals >= 0) {
      const name = item.slice(0, equals).trim();
      if (!(METRICS as readonly string[]).includes(name))
        throw new ThresholdOptionError(`unknown metric "${name}" in ${level} list (known: ${METRICS.join(', ')})`);
      metric = name as MetricName;
      range = item.slice(equals + 1);
      if (!range.trim()) throw new ThresholdOptionError(`${level} list: no range after "${name}="`);
    } else {
      if (position >= METRICS.length)
        throw new ThresholdOptionError(`${level} list has more than ${METRICS.length} ranges (${METRICS.join(', ')})`);
      metric = METRICS[position];
      range = item;
    }
    if (metric in out) throw new ThresholdOptionError(`${level} of ${metric} given twice`);
    out[metric] = checkedRange(range, `${level} of ${metric}`);
  });
  return out;
}

/** Combines -w/-c lists and per-metric pairs; the same level of one metric given both ways is an error. */
export function combineThresholdOptions(
  warning: Partial<Record<MetricName, string>>,
  critical: Partial<Record<MetricName, string>>,
  pairs: Partial<Record<MetricName, Threshold>>,
): ThresholdOverrides {
  const out: ThresholdOverrides = {};
  for (const metric of METRICS) {
    const pair = pairs[metric];
    if (pair && (metric in warning || metric in critical)) {
      throw new ThresholdOptionError(`--${metric} and ${metric in warning ? '-w' : '-c'} both set thresholds of ${metric}: use one`);
    }
    const entry: Partial<Threshold> = { ...pair };
    if (metric in warning) entry.warning = warning[metric];
    if (metric in critical) entry.critical = critical[metric];
    if (Object.keys(entry).length) out[metric] = entry;
  }
  return out;
}
