// Whether a submission's writes have reached a replica: WAIT for one (when the master has replicas) on a connection of its own, before the 202 is sent.
import { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { replicationBarrierKey } from './keys.js';
import { waitUntilReady } from './connection.js';

/**
 * What is known about a submission's writes when the answer goes out:
 * - `confirmed`: this many replicas have every write the master had made when it was asked (WAIT), the submission's
 *   included: a failover to one of them keeps it;
 * - `alone`: the master has no replica online and the Sentinels (if any) none they could promote: there is none to
 *   fail over to (nothing to wait for);
 * - `off`: REDIS_REPLICA_WAIT_MS=0;
 * - `unconfirmed`: the master has replicas and none confirmed in time, or the connection moved to another server
 *   while the submission was made: if the master dies now, the submission may go with it.
 */
export type Replication =
  { state: 'confirmed'; replicas: number } | { state: 'alone' } | { state: 'off' } | { state: 'unconfirmed'; reason: string };

/** Taken before a submission's first write: the connection's generation (how many times it was lost so far). */
export interface ReplicationMark {
  redis: Redis;
  generation: number;
}

interface Tracked {
  generation: number;
  barrier?: Barrier;
}

const tracked = new WeakMap<Redis, Tracked>();

function track(redis: Redis): Tracked {
  let state = tracked.get(redis);
  if (!state) {
    const created: Tracked = { generation: 0 };
    // A write made before a 'close' went to the server of the connection that closed: after a failover, another one.
    redis.on('close', () => created.generation++);
    tracked.set(redis, (state = created));
  }
  return state;
}

/** Marks the start of a submission on this connection (call before its first write). */
export function markReplication(redis: Redis): ReplicationMark {
  return { redis, generation: track(redis).generation };
}

/** Which server a connection talks to now (a Sentinel failover changes it). */
function endpoint(redis: Redis): string {
  const stream = (redis as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  return `${stream?.remoteAddress ?? '?'}:${stream?.remotePort ?? '?'}`;
}

/** Replicas whose link is up (state=online), from INFO replication; undefined when the server is not a master. */
export function onlineReplicas(info: string): number | undefined {
  if (!/^role:master\r?$/m.test(info)) return undefined;
  return info.split(/\r?\n/).filter((line) => /^slave\d+:.*\bstate=online\b/.test(line)).length;
}

/** A field of a Sentinel's flat [name, value, name, value…] answer. */
function pick(fields: string[], name: string): string | undefined {
  const at = fields.indexOf(name);
  return at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
}

/**
 * Whether the Sentinels could promote this replica if the master failed now, by their own rules: not down or
 * disconnected, priority not 0, and its link to the master down for no longer than ten times down-after-milliseconds
 * (a replica cut off for longer is too stale to be chosen, so it holds up no submission).
 */
export function canPromote(replica: string[], downAfterMs: number): boolean {
  if (/s_down|o_down|disconnected/.test(pick(replica, 'flags') ?? '')) return false;
  if (pick(replica, 'slave-priority') === '0') return false;
  const linkDownMs = Number(pick(replica, 'master-link-down-time') ?? 0);
  return !(Number.isFinite(downAfterMs) && downAfterMs > 0 && linkDownMs > 10 * downAfterMs);
}

/**
 * WAIT blocks the connection it is sent on, so it goes on a connection of its own; it counts the writes of that
 * connection only, so a small write of its own comes first: made after the submission's writes were answered, it
 * follows them in the master's replication stream, and a replica that has it has them. Submissions that ask while a
 * round is under way share the next round (which starts after they asked), so a slow replica costs each of them at
 * most two rounds, not one per submission before them.
 */
class Barrier {
  private readonly connection: Redis;
  private readonly connectionState: Tracked;
  private running?: Promise<Round>;
  private next?: Promise<Round>;
  private promotableCache?: { at: number; count: number };
  /** The last INFO that found a master without replicas: trusted for a second while no replica was ever seen. */
  private aloneSeen?: { at: number; generation: number; endpoint: string };
  /** A replica was seen (online, or promotable) since this process started: a failover is possible. */
  replicasSeen = false;

  constructor(
    private readonly main: Redis,
    private readonly config: Config,
  ) {
    this.connection = main.duplicate();
    this.connection.on('error', () => {});
    this.connectionState = track(this.connection);
    main.once('end', () => this.connection.disconnect());
  }

  round(): Promise<Round> {
    if (!this.running) return this.start();
    this.next ??= this.running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.next = undefined;
        return this.start();
      });
    return this.next;
  }

  private start(): Promise<Round> {
    const running = this.once();
    this.running = running;
    void running.finally(() => {
      if (this.running === running) this.running = undefined;
    });
    return running;
  }

  /**
   * How many replicas the Sentinels could promote now (canPromote); 0 without Sentinels. Undefined (no Sentinel
   * answered) counts as some: a failover cannot be ruled out. Kept for a second.
   */
  private async promotable(): Promise<number | undefined> {
    const { sentinels, sentinelName, commandTimeoutMs } = this.config.redis;
    if (!sentinels.length) return 0;
    if (this.promotableCache && Date.now() - this.promotableCache.at < 1000) return this.promotableCache.count;
    const deadline = Date.now() + commandTimeoutMs;
    for (const sentinel of sentinels) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const redis = new Redis({
        host: sentinel.host,
        port: sentinel.port,
        connectTimeout: left,
        commandTimeout: left,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        lazyConnect: true,
      });
      redis.on('error', () => {});
      try {
        await redis.connect();
        const [master, replicas] = (await Promise.all([
          redis.call('SENTINEL', 'MASTER', sentinelName),
          redis.call('SENTINEL', 'REPLICAS', sentinelName),
        ])) as [string[], string[][]];
        const count = replicas.filter((fields) => canPromote(fields, Number(pick(master, 'down-after-milliseconds')))).length;
        this.promotableCache = { at: Date.now(), count };
        return count;
      } catch {
        // ask the next one
      } finally {
        redis.disconnect();
      }
    }
    return undefined;
  }

  private async once(): Promise<Round> {
    const { config, connection } = this;
    const waitMs = Math.max(1, Math.min(config.redis.replicaWaitMs, config.redis.commandTimeoutMs - 200));
    try {
      await waitUntilReady(connection, config, config.redis.commandTimeoutMs);
      const generation = this.connectionState.generation;
      // A master that had no replica a moment ago (the same server, on a connection not lost since) is taken to have
      // none still, for at most a second: without this, every submission on a plain Redis asks INFO. Once a replica
      // was seen, every round asks again and WAITs.
      const seen = this.aloneSeen;
      const recentlyAlone =
        !this.replicasSeen &&
        seen !== undefined &&
        Date.now() - seen.at < ALONE_TRUSTED_MS &&
        seen.generation === generation &&
        seen.endpoint === endpoint(connection);
      const replicas = recentlyAlone ? 0 : onlineReplicas(await connection.info('replication'));
      if (replicas === undefined) return { result: { state: 'unconfirmed', reason: 'the server is not a master' }, at: '' };
      const at = endpoint(connection);
      if (replicas === 0 && !recentlyAlone) this.aloneSeen = { at: Date.now(), generation, endpoint: at };
      // A replica whose link to the master is down (a network flap, a failed resync) is not online for the master,
      // but the Sentinels may still promote it: then it is waited for too (and the wait fails).
      if (replicas > 0) this.replicasSeen = true;
      const promotable = replicas === 0 ? await this.promotable() : undefined;
      if (promotable !== 0) this.replicasSeen = true;
      if (replicas === 0 && promotable === 0) return { result: { state: 'alone' }, at };
      await connection.set(replicationBarrierKey(config), String(Date.now()), 'EX', 3600);
      const acked = await connection.wait(1, waitMs);
      if (this.connectionState.generation !== generation || endpoint(connection) !== at)
        return { result: { state: 'unconfirmed', reason: 'the connection to Redis changed' }, at: '' };
      return acked >= 1
        ? { result: { state: 'confirmed', replicas: acked }, at }
        : { result: { state: 'unconfirmed', reason: `no replica confirmed within ${waitMs} ms` }, at };
    } catch (error) {
      return { result: { state: 'unconfirmed', reason: (error as Error).message.slice(0, 100) }, at: '' };
    }
  }
}

/** How long a master found without replicas is taken to have none (see Barrier.once). */
const ALONE_TRUSTED_MS = 1000;

interface Round {
  result: Replication;
  /** The server the round spoke to. */
  at: string;
}

/**
 * What is known of the replication of every write made on `mark`'s connection since the mark, waiting (up to
 * REDIS_REPLICA_WAIT_MS) for one replica when the master has any. Never throws.
 */
export async function confirmReplication(mark: ReplicationMark, config: Config): Promise<Replication> {
  if (config.redis.replicaWaitMs <= 0) return { state: 'off' };
  const state = track(mark.redis);
  state.barrier ??= new Barrier(mark.redis, config);
  const round = await state.barrier.round();
  // A plain Redis (no Sentinels) that never had a replica: nothing can fail over, whatever became of this round.
  if (!config.redis.sentinels.length && !state.barrier.replicasSeen && round.result.state !== 'confirmed') return { state: 'alone' };
  if (round.result.state === 'unconfirmed') return round.result;
  // The round spoke for the server the barrier connection was on; the submission's writes count only if they went to
  // that same server, on a connection that has not been lost since.
  if (state.generation !== mark.generation || endpoint(mark.redis) !== round.at)
    return { state: 'unconfirmed', reason: 'the connection to Redis changed during the submission' };
  return round.result;
}
