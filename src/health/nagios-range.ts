// Nagios plugin threshold ranges ([@]start:end) and perfdata formatting, as the Monitoring Plugins guidelines define them.

/** A parsed range: alert when the value is outside start..end (inclusive), or inside it when `inside` (the `@` form). */
export interface NagiosRange {
  start: number;
  end: number;
  inside: boolean;
  /** The range as written (trimmed), for perfdata and messages. */
  text: string;
}

export class NagiosRangeError extends Error {
  constructor(text: string, reason: string) {
    super(`invalid range "${text}": ${reason}`);
    this.name = 'NagiosRangeError';
  }
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;

function parseBound(raw: string, whole: string, which: 'start' | 'end'): number {
  if (!NUMBER.test(raw)) throw new NagiosRangeError(whole, `${which} "${raw}" is not a number (use e.g. 10, 10:, ~:10, 10:20 or @10:20)`);
  return Number(raw);
}

/**
 * Parses `[@]start:end`: `10` means 0:10, `10:` means 10 to infinity, `~` as start means negative infinity,
 * `@` alerts inside the range instead of outside. Throws NagiosRangeError on anything else.
 */
export function parseRange(input: string): NagiosRange {
  const text = input.trim();
  if (!text) throw new NagiosRangeError(input, 'empty');
  let body = text;
  const inside = body.startsWith('@');
  if (inside) body = body.slice(1);
  const colon = body.indexOf(':');
  let start = 0;
  let end: number;
  if (colon < 0) {
    end = parseBound(body, text, 'end');
  } else {
    const startText = body.slice(0, colon);
    const endText = body.slice(colon + 1);
    if (startText === '~') start = -Infinity;
    else if (startText !== '') start = parseBound(startText, text, 'start');
    end = endText === '' ? Infinity : parseBound(endText, text, 'end');
  }
  if (start > end) throw new NagiosRangeError(text, 'start is greater than end');
  return { start, end, inside, text };
}

/** True when the value raises an alert for this range. */
export function rangeAlerts(range: NagiosRange, value: number): boolean {
  const within = value >= range.start && value <= range.end;
  return range.inside ? within : !within;
}

export type ThresholdLevel = 'OK' | 'WARNING' | 'CRITICAL';

/** Critical wins over warning; a missing range never alerts. */
export function thresholdLevel(value: number, warning: NagiosRange | undefined, critical: NagiosRange | undefined): ThresholdLevel {
  if (critical && rangeAlerts(critical, value)) return 'CRITICAL';
  if (warning && rangeAlerts(warning, value)) return 'WARNING';
  return 'OK';
}

function plain(value: number): string {
  return formatNumber(value, 0, 3);
}

/**
 * When the range alerts, in words ("above 10", "below 2", "outside 5..6", "within 10..20"). The metrics checked here are
 * never negative, so `10` (0:10) reads "above 10".
 */
export function describeRange(range: NagiosRange): string {
  const low = range.start === -Infinity ? undefined : range.start;
  const high = range.end === Infinity ? undefined : range.end;
  if (range.inside) {
    if (low === undefined && high === undefined) return 'always';
    if (low === undefined) return `at or below ${plain(high as number)}`;
    if (high === undefined) return `at or above ${plain(low)}`;
    return `within ${plain(low)}..${plain(high)}`;
  }
  if (low === undefined && high === undefined) return 'never';
  if (high === undefined) return `below ${plain(low as number)}`;
  if (low === undefined || low === 0) return `above ${plain(high)}`;
  return `outside ${plain(low)}..${plain(high)}`;
}

/** A decimal number in the perfdata class [-0-9.] (never exponent notation), with `min`..`max` decimals. */
export function formatNumber(value: number, minDecimals: number, maxDecimals: number): string {
  if (!Number.isFinite(value)) return 'U';
  const [whole, fraction = ''] = value.toFixed(maxDecimals).split('.');
  const kept = fraction.replace(/0+$/, '').padEnd(minDecimals, '0');
  const text = kept ? `${whole}.${kept}` : whole;
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

export type PerfUnit = '' | 's' | 'ms' | 'us' | '%' | 'B' | 'KB' | 'MB' | 'TB' | 'c';

/** One performance data point: `'label'=value[UOM];[warn];[crit];[min];[max]`. */
export interface PerfDatum {
  label: string;
  /** null when the value could not be determined (printed as U). */
  value: number | null;
  unit: PerfUnit;
  warning?: string;
  critical?: string;
  min?: number;
  max?: number;
  /** Decimals printed for the value: [at least, at most]. Counts print as integers. */
  decimals?: [number, number];
}

/** Labels are always quoted; `'` is doubled and `=` (not allowed in a label) becomes `_`. */
export function quoteLabel(label: string): string {
  return `'${label.replace(/=/g, '_').replace(/'/g, "''")}'`;
}

export function formatPerfDatum(datum: PerfDatum): string {
  const [minDecimals, maxDecimals] = datum.decimals ?? [0, 3];
  const value = datum.value === null ? 'U' : `${formatNumber(datum.value, minDecimals, maxDecimals)}${datum.unit}`;
  const bound = (n: number | undefined) => (n === undefined ? '' : formatNumber(n, 0, maxDecimals));
  const fields = [value, datum.warning ?? '', datum.critical ?? '', bound(datum.min), bound(datum.max)];
  while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  return `${quoteLabel(datum.label)}=${fields.join(';')}`;
}

/** The perfdata part of a plugin's output line: space-separated data points. */
export function formatPerfData(data: PerfDatum[]): string {
  return data.map(formatPerfDatum).join(' ');
}
