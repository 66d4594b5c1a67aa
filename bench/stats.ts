// Percentiles and table printing for `npm run bench`.

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function summarize(samples: number[]): { n: number; p50: number; p95: number; p99: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((total, x) => total + x, 0) / (sorted.length || 1);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), mean };
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** Where a figure does not apply (an app without workers, a peer that did not run, a ratio to nothing). */
export const NOT_APPLICABLE = '–';

/** A figure with `digits` decimals, or NOT_APPLICABLE when there is none (NaN, ±Infinity). */
export function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : NOT_APPLICABLE;
}

export type Row = Record<string, string | number>;

/** A table cell: whole numbers as they are, others with two decimals, a figure that does not apply as NOT_APPLICABLE. */
export function cell(value: string | number): string {
  if (typeof value !== 'number') return value;
  return Number.isInteger(value) ? String(value) : fmt(value);
}

/** A Markdown table: the title, the header row, a rule and one line per row. */
export function formatTable(title: string, rows: Row[]): string {
  if (!rows.length) return '';
  const columns = Object.keys(rows[0]);
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column] ?? '').length)));
  const line = (values: string[]) => `| ${values.map((value, i) => value.padEnd(widths[i])).join(' | ')} |`;
  return [
    `\n${title}\n`,
    line(columns),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map((row) => line(columns.map((column) => cell(row[column] ?? '')))),
  ].join('\n');
}

export function printTable(title: string, rows: Row[]): void {
  if (rows.length) console.log(formatTable(title, rows));
}
