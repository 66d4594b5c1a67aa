// Samples this host and this process every GWQUEUE_HOST_SAMPLE_INTERVAL_MS into Redis; one sampler per process and deployment, shared by its worker and web parts.
import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { HostReader } from './host-samples.js';
import { forgetOldSeries, SeriesWriter, type Values } from './host-store.js';

export interface HostSampler {
  /** Takes and stores one sample now (tests, and the first one at start). */
  sampleNow(): Promise<void>;
  stop(): void;
}

interface Shared {
  /** Who uses this sampler, and the Redis connection each brought (the first still open is used). */
  users: Map<number, { label: string; redis: Redis }>;
  sample(): Promise<void>;
  stop(): void;
}

const running = new Map<string, Shared>();
let nextUser = 0;
const CLEANUP_EVERY = 100;

function startShared(config: Config, key: string): Shared {
  const hostname = os.hostname();
  const reader = new HostReader(['/', config.varDir]);
  const startedAt = new Date().toISOString();
  const users: Shared['users'] = new Map();
  const hostWriter = new SeriesWriter(config, { id: `host:${hostname}`, kind: 'host', hostname });
  let processWriter: SeriesWriter | undefined;
  let count = 0;
  let busy = false;
  const describe = () => [...new Set([...users.values()].map((user) => user.label))].sort().join(', ');

  const sample = async () => {
    if (busy) return;
    const redis = [...users.values()].map((user) => user.redis).find((connection) => connection.status !== 'end');
    if (!redis) {
      shared.stop();
      return;
    }
    busy = true;
    try {
      const now = Date.now();
      const roles = describe();
      if (processWriter?.info.role !== roles) {
        processWriter = new SeriesWriter(config, {
          id: `proc:${hostname}:${process.pid}`,
          kind: 'process',
          hostname,
          pid: process.pid,
          role: roles,
          startedAt,
        });
      }
      const multi = redis.multi();
      hostWriter.add(multi, reader.host(now) as unknown as Values, now);
      processWriter.add(multi, reader.process(now) as unknown as Values, now);
      await multi.exec();
      if (count++ % CLEANUP_EVERY === 0) await forgetOldSeries(redis, config, now);
    } catch {
      // Redis away for a moment: the next sample tries again; the Host page shows the gap.
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void sample(), config.observability.host.sampleIntervalMs);
  timer.unref();
  const shared: Shared = {
    users,
    sample,
    stop() {
      clearInterval(timer);
      running.delete(key);
    },
  };
  return shared;
}

/**
 * Starts sampling (or joins this process's sampler for the same Redis and prefix); `label` says who this process is
 * (web, worker NAME). Does nothing when the interval is 0.
 */
export function startHostSampler(redis: Redis, config: Config, label: string): HostSampler {
  if (config.observability.host.sampleIntervalMs <= 0) return { sampleNow: async () => {}, stop() {} };
  const key = `${config.prefix}|${config.redis.url ?? 'embedded'}`;
  let shared = running.get(key);
  if (!shared) {
    shared = startShared(config, key);
    running.set(key, shared);
  }
  const user = nextUser++;
  shared.users.set(user, { label, redis });
  const mine = shared;
  void mine.sample();
  return {
    sampleNow: () => mine.sample(),
    stop() {
      mine.users.delete(user);
      if (!mine.users.size) mine.stop();
    },
  };
}
