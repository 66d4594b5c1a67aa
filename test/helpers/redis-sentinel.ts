// Starts a real Redis master, one replica and three redis-sentinel processes on free loopback ports for one test file; kills the master and watches the failover.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './redis-server.js';
import { eventually } from './eventually.js';

export const SENTINEL_BIN = '/usr/bin/redis-sentinel';

export interface RedisNode {
  port: number;
  child: ChildProcess;
  args: string[];
}

export interface SentinelGroup {
  /** The name the Sentinels know the master by (REDIS_SENTINEL_NAME). */
  name: string;
  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3` (REDIS_SENTINELS). */
  sentinels: string;
  sentinelPorts: number[];
  /** The servers in the order they were started: [0] the first master, [1] its replica. */
  servers: RedisNode[];
  /** The port the Sentinels name as master now (asks every Sentinel that answers, and takes the majority's answer). */
  masterPort(): Promise<number | undefined>;
  /** SIGKILL the server on this port (a crash: nothing is flushed or handed over). */
  kill(port: number): Promise<void>;
  /** Starts a killed server again on its port, empty (no persistence): the Sentinels make it a replica of the master. */
  restart(port: number): Promise<void>;
  /** SIGSTOP / SIGCONT the server on this port: a hung master keeps its connections open and answers nothing. */
  freeze(port: number): void;
  thaw(port: number): void;
  /** Resolves once the master on this port has this many replicas online. */
  waitForReplicas(port: number, count: number, timeoutMs: number): Promise<void>;
  /** The server's INFO replication, as far as a failover test needs it; undefined when it does not answer. */
  replication(port: number): Promise<Replication | undefined>;
  /** Resolves once every Sentinel names a master other than `oldPort` and that server answers as master. */
  waitForNewMaster(oldPort: number, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

export interface Replication {
  role: 'master' | 'slave';
  /** A replica's link to its master (master_link_status:up); false on a master. */
  linkUp: boolean;
  /**
   * master_repl_offset: how far into the replication stream the server's data is. A replica's stays put while its link
   * is down: nothing of the master's reaches it.
   */
  offset: number;
  /** second_repl_offset: on a promoted replica, its offset at the promotion plus one (-1 when never promoted). */
  secondOffset: number;
}

export interface SentinelOptions {
  /** Sentinel down-after-milliseconds: how long a master may be silent before it is taken for dead. */
  downAfterMs?: number;
  /** Sentinel failover-timeout. */
  failoverTimeoutMs?: number;
}

/** One request on its own short-lived connection; undefined when nothing answers in time. */
async function ask<T>(port: number, run: (redis: Redis) => Promise<T>, timeoutMs = 1000): Promise<T | undefined> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: true,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await run(redis);
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

export async function startSentinelGroup(options: SentinelOptions = {}): Promise<SentinelGroup> {
  const name = 'gwqueue-test';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-test-sentinel-'));
  const children: ChildProcess[] = [];
  const launch = (command: string, args: string[]): ChildProcess => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', (error) => {
      throw new Error(`cannot start ${command} (apt-get install -y redis-server redis-sentinel): ${error.message}`);
    });
    children.push(child);
    return child;
  };
  const serverArgs = (port: number, sub: string) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    path.join(dir, sub),
    '--save',
    '',
    '--appendonly',
    'no',
    // A replica's first sync starts at once instead of after the default 5 s wait for more replicas.
    '--repl-diskless-sync',
    'yes',
    '--repl-diskless-sync-delay',
    '0',
    '--loglevel',
    'warning',
  ];

  const servers: RedisNode[] = [];
  for (const role of ['master', 'replica'] as const) {
    const port = await freePort();
    const sub = `${role}-${port}`;
    mkdirSync(path.join(dir, sub));
    const args = serverArgs(port, sub);
    if (role === 'replica') args.push('--replicaof', '127.0.0.1', String(servers[0].port));
    servers.push({ port, args, child: launch('redis-server', args) });
    await eventually(() => ask(port, (r) => r.ping()), 10_000, `redis-server on ${port}`);
  }
  // The replica has its copy before the Sentinels start watching: a failover then has someone to promote.
  await eventually(
    () => ask(servers[1].port, async (r) => ((await r.info('replication')).includes('master_link_status:up') ? true : undefined)),
    15_000,
    'the replica to be in sync',
  );

  const sentinelPorts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const file = path.join(dir, `sentinel-${port}.conf`);
    // Sentinel rewrites its own config file (it records what it learnt), so each needs one of its own.
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${servers[0].port} 2`,
        `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 5000}`,
        `sentinel parallel-syncs ${name} 1`,
        'loglevel warning',
        '',
      ].join('\n'),
    );
    launch(SENTINEL_BIN, [file]);
    sentinelPorts.push(port);
  }
  for (const port of sentinelPorts) {
    await eventually(
      () =>
        ask(port, async (r) => {
          // Ready once it knows the replica and the other two Sentinels (they find each other through the master).
          const master = (await r.call('SENTINEL', 'MASTER', name)) as string[];
          const field = (key: string) => Number(master[master.indexOf(key) + 1]);
          return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2 ? true : undefined;
        }),
      10_000,
      `redis-sentinel on ${port}`,
    );
  }

  const masterPort = async (): Promise<number | undefined> => {
    const answers = await Promise.all(
      sentinelPorts.map((port) => ask(port, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name) as Promise<string[] | null>)),
    );
    const counts = new Map<number, number>();
    for (const answer of answers) if (answer) counts.set(Number(answer[1]), (counts.get(Number(answer[1])) ?? 0) + 1);
    const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    return best && best[1] >= 2 ? best[0] : undefined;
  };

  const node = (port: number): RedisNode => {
    const found = servers.find((server) => server.port === port);
    if (!found) throw new Error(`no server on port ${port}`);
    return found;
  };

  return {
    name,
    sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
    sentinelPorts,
    servers,
    masterPort,
    async kill(port) {
      const { child } = node(port);
      child.kill('SIGKILL');
      await exited(child);
    },
    async restart(port) {
      const server = node(port);
      server.child = launch('redis-server', server.args);
      await eventually(() => ask(port, (r) => r.ping()), 10_000, `redis-server on ${port}`);
    },
    freeze(port) {
      node(port).child.kill('SIGSTOP');
    },
    thaw(port) {
      node(port).child.kill('SIGCONT');
    },
    async waitForReplicas(port, count, timeoutMs) {
      await eventually(
        () =>
          ask(port, async (r) => {
            const online = (await r.info('replication')).split(/\r?\n/).filter((line) => /^slave\d+:.*state=online/.test(line)).length;
            return online >= count ? true : undefined;
          }),
        timeoutMs,
        `${count} replica(s) online at ${port}`,
      );
    },
    async replication(port) {
      const info = await ask(port, (r) => r.info('replication'));
      if (info === undefined) return undefined;
      const field = (name: string) => new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1];
      return {
        role: field('role') === 'master' ? 'master' : 'slave',
        linkUp: field('master_link_status') === 'up',
        offset: Number(field('master_repl_offset')),
        secondOffset: Number(field('second_repl_offset')),
      };
    },
    async waitForNewMaster(oldPort, timeoutMs) {
      return eventually(
        async () => {
          const answers = await Promise.all(
            sentinelPorts.map((port) => ask(port, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name) as Promise<string[] | null>)),
          );
          const ports = new Set(answers.map((answer) => (answer ? Number(answer[1]) : undefined)));
          const [port] = [...ports];
          if (ports.size !== 1 || port === undefined || port === oldPort) return undefined;
          const role = await ask(port, (r) => r.call('ROLE') as Promise<unknown[]>);
          return role?.[0] === 'master' ? port : undefined;
        },
        timeoutMs,
        `a Sentinel failover away from port ${oldPort}`,
      );
    },
    async stop() {
      for (const child of children) {
        child.kill('SIGKILL');
        await exited(child);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
