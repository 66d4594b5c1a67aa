// Host and process samples in Redis, round-robin style: one sorted set per series and resolution (raw for an hour, then 5-min, 30-min, 2-h and 1-day averages), trimmed to the retention.
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { hostKeys } from '../redis/keys.js';

export const RANGES = ['hour', 'day', 'week', 'month', 'year'] as const;
export type Range = (typeof RANGES)[number];

export interface Tier {
  range: Range;
  /** Width of one point (the raw tier: the sampling interval). */
  stepMs: number;
  /** How far back this resolution is shown. */
  spanMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Resolutions, like an RRD: each range of the Host page reads one, with a few hundred points. */
export function tiers(intervalMs: number): Tier[] {
  return [
    { range: 'hour', stepMs: Math.max(intervalMs, 1000), spanMs: HOUR },
    { range: 'day', stepMs: 5 * 60_000, spanMs: DAY },
    { range: 'week', stepMs: 30 * 60_000, spanMs: 7 * DAY },
    { range: 'month', stepMs: 2 * HOUR, spanMs: 31 * DAY },
    { range: 'year', stepMs: DAY, spanMs: 366 * DAY },
  ];
}

export type Values = Record<string, number | undefined>;

export interface SeriesInfo {
  id: string;
  kind: 'host' | 'process';
  hostname: string;
  pid?: number;
  /** worker, web, dev… and, for a worker, its name. */
  role?: string;
  name?: string;
  startedAt?: string;
  lastSeen: number;
}

export interface Point {
  t: number;
  v: Values;
}

interface Bucket {
  start: number;
  sums: Record<string, number>;
  counts: Record<string, number>;
}

/** How long a resolution is kept: its span (a little more), but never more than the configured retention. */
function keepMs(tier: Tier, retentionMs: number, coarsest: boolean): number {
  return coarsest ? retentionMs : Math.min(retentionMs, tier.spanMs + tier.stepMs * 2);
}

/** Writes one series' samples: averages each bucket in memory and rewrites the bucket's point on every sample. */
export class SeriesWriter {
  private readonly buckets = new Map<Range, Bucket>();

  constructor(
    private readonly config: Config,
    readonly info: Omit<SeriesInfo, 'lastSeen'>,
  ) {}

  /** Adds the sample's writes to a MULTI (the caller executes it). */
  add(multi: ReturnType<Redis['multi']>, values: Values, now: number): void {
    const { sampleIntervalMs, retentionSeconds } = this.config.observability.host;
    const retentionMs = retentionSeconds * 1000;
    const all = tiers(sampleIntervalMs).filter((tier, index) => index === 0 || tier.stepMs < retentionMs);
    all.forEach((tier, index) => {
      const start = now - (now % tier.stepMs);
      let bucket = this.buckets.get(tier.range);
      if (!bucket || bucket.start !== start) {
        bucket = { start, sums: {}, counts: {} };
        this.buckets.set(tier.range, bucket);
      }
      for (const [field, value] of Object.entries(values)) {
        if (value === undefined || !Number.isFinite(value)) continue;
        bucket.sums[field] = (bucket.sums[field] ?? 0) + value;
        bucket.counts[field] = (bucket.counts[field] ?? 0) + 1;
      }
      const averages: Record<string, number> = {};
      for (const [field, sum] of Object.entries(bucket.sums)) averages[field] = Math.round((sum / bucket.counts[field]) * 100) / 100;
      const key = hostKeys.points(this.config, this.info.id, tier.range);
      const keep = keepMs(tier, retentionMs, index === all.length - 1);
      multi
        .zremrangebyscore(key, start, start)
        .zadd(key, start, `${start}:${JSON.stringify(averages)}`)
        .zremrangebyscore(key, '-inf', `(${now - keep}`)
        .pexpire(key, keep);
    });
    const info: SeriesInfo = { ...this.info, lastSeen: now };
    multi.zadd(hostKeys.index(this.config), now, this.info.id).hset(hostKeys.info(this.config), this.info.id, JSON.stringify(info));
  }
}

/** Forgets series not written within the retention (processes that stopped long ago), with their points. */
export async function forgetOldSeries(redis: Redis, config: Config, now = Date.now()): Promise<number> {
  const cutoff = now - config.observability.host.retentionSeconds * 1000;
  const stale = await redis.zrangebyscore(hostKeys.index(config), '-inf', `(${cutoff}`);
  if (!stale.length) return 0;
  const multi = redis.multi();
  for (const id of stale) {
    for (const range of RANGES) multi.del(hostKeys.points(config, id, range));
  }
  multi.hdel(hostKeys.info(config), ...stale).zrem(hostKeys.index(config), ...stale);
  await multi.exec();
  return stale.length;
}

/** Every series written within `sinceMs` (default: the retention), newest first. */
export async function listSeries(redis: Redis, config: Config, sinceMs?: number): Promise<SeriesInfo[]> {
  const since = sinceMs ?? Date.now() - config.observability.host.retentionSeconds * 1000;
  const ids = await redis.zrangebyscore(hostKeys.index(config), since, '+inf');
  if (!ids.length) return [];
  const raw = await redis.hmget(hostKeys.info(config), ...ids);
  return raw
    .map((text) => {
      try {
        return text ? (JSON.parse(text) as SeriesInfo) : undefined;
      } catch {
        return undefined;
      }
    })
    .filter((info): info is SeriesInfo => !!info)
    .sort((a, b) => b.lastSeen - a.lastSeen);
}

/** The points of several series for one range, in one round trip. */
export async function readPoints(
  redis: Redis,
  config: Config,
  ids: string[],
  range: Range,
  now = Date.now(),
): Promise<Map<string, Point[]>> {
  const tier = tiers(config.observability.host.sampleIntervalMs).find((t) => t.range === range)!;
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.zrangebyscore(hostKeys.points(config, id, range), now - tier.spanMs, '+inf');
  const replies = (await pipeline.exec()) ?? [];
  const out = new Map<string, Point[]>();
  ids.forEach((id, index) => {
    const members = (replies[index]?.[1] as string[] | undefined) ?? [];
    out.set(
      id,
      members.flatMap((member) => {
        const colon = member.indexOf(':');
        try {
          return [{ t: Number(member.slice(0, colon)), v: JSON.parse(member.slice(colon + 1)) as Values }];
        } catch {
          return [];
        }
      }),
    );
  });
  return out;
}

export function tierFor(config: Config, range: Range): Tier {
  return tiers(config.observability.host.sampleIntervalMs).find((t) => t.range === range)!;
}
