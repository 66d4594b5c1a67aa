// Formatting helpers the dashboard's views use: UTC times, ages, durations, sizes.

const pad = (n: number) => String(n).padStart(2, '0');

/** "2024-01-01 12:00:05" (UTC), or an em dash. */
export function time(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/** "850 ms", "4.2 s", "3 min 5 s", "2 h 10 min", "3 d 4 h". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  const rest = (value: number, unit: string) => (value ? ` ${value} ${unit}` : '');
  if (m < 60) return `${m} min${rest(Math.round(s % 60), 's')}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${rest(m % 60, 'min')}`;
  return `${Math.floor(h / 24)} d${rest(h % 24, 'h')}`;
}

/** "12 s ago", from a time and now. */
export function ago(value: number | string | null | undefined, now = Date.now()): string {
  if (value === null || value === undefined) return '—';
  const at = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(at)) return '—';
  return `${duration(Math.max(0, now - at)).replace(/(\w) \d+ (s|min|h)$/, '$1')} ago`;
}

/** "118 MiB". */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 && unit ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Value for an <input type="datetime-local"> in UTC, or ''. */
export function inputTime(ms: number | undefined): string {
  if (ms === undefined) return '';
  return time(ms).replace(' ', 'T').slice(0, 16);
}

export const fmt = { time, duration, ago, bytes, count, inputTime };
