// Small parsers for configuration values; each failure names the setting and what is wrong.

/** The environment (or the JSON config file's settings over it) as the parsers read it. */
export type Env = Record<string, string | undefined>;

/** A bad configuration value: the CLI prints `setting: reason` and exits 78 (EX_CONFIG). */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    readonly reason: string,
  ) {
    super(`${setting}: ${reason}`);
    this.name = 'ConfigError';
  }
}

function present(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function parseInteger(env: Env, name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number (got "${raw}")`);
  const value = Number(raw);
  if (range.min !== undefined && value < range.min) throw new ConfigError(name, `must be at least ${range.min} (got ${value})`);
  if (range.max !== undefined && value > range.max) throw new ConfigError(name, `must be at most ${range.max} (got ${value})`);
  return value;
}

export function parseBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = present(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

export function parseChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new ConfigError(name, `must be one of ${choices.join(', ')} (got "${raw}")`);
  return raw as T;
}

export function parseList(env: Env, name: string): string[] {
  const raw = present(env, name);
  return raw === undefined
    ? []
    : raw
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
}

export function parseNumber(env: Env, name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
  const raw = present(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new ConfigError(name, `must be a number (got "${raw}")`);
  if (range.min !== undefined && value < range.min) throw new ConfigError(name, `must be at least ${range.min} (got ${value})`);
  if (range.max !== undefined && value > range.max) throw new ConfigError(name, `must be at most ${range.max} (got ${value})`);
  return value;
}

/** Accepts redis://, rediss:// and unix:// (or an absolute socket path); the password is never echoed back. */
export function parseRedisUrl(env: Env, name: string): string | undefined {
  const raw = present(env, name);
  if (raw === undefined) return undefined;
  if (raw.startsWith('/')) return `unix://${raw}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a URL (expected redis://host:port/db, rediss://… or unix:///path/to/socket)');
  }
  if (!['redis:', 'rediss:', 'unix:'].includes(url.protocol)) {
    throw new ConfigError(name, `unsupported scheme "${url.protocol}" (expected redis:, rediss: or unix:)`);
  }
  if (url.protocol !== 'unix:' && !url.hostname) throw new ConfigError(name, 'has no host');
  if (url.protocol === 'unix:' && !url.pathname) throw new ConfigError(name, 'has no socket path');
  const db = url.pathname.replace(/^\//, '');
  if (url.protocol !== 'unix:' && db !== '' && !/^\d+$/.test(db)) throw new ConfigError(name, `database "${db}" is not a number`);
  return raw;
}
