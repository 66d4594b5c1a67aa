// The peer's CLI side by side: `celery call` and `celery inspect ping` against Flask + Celery + Redis (../shared/bench/peer).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PACKAGE_ROOT } from '../src/config/index.js';
import { freePort } from '../test/helpers/redis-server.js';
import { median } from './stats.js';

export const PEER_DIR = path.resolve(PACKAGE_ROOT, '..', 'shared', 'bench', 'peer');

/** Why the peer cannot run here, or undefined when it can. */
export function peerMissing(): string | undefined {
  if (!existsSync(path.join(PEER_DIR, 'peer_app.py'))) return `no peer at ${PEER_DIR}`;
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import flask, celery, redis, gunicorn'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'the peer needs: apt-get install -y python3-flask python3-celery python3-redis gunicorn curl wrk';
  return undefined;
}

function celery(args: string[], redisUrl: string, okCodes: number[]): number {
  const start = performance.now();
  const run = spawnSync('/usr/bin/python3', ['-m', 'celery', '-A', 'peer_app', ...args], {
    cwd: PEER_DIR,
    env: { ...process.env, REDIS_URL: redisUrl },
    encoding: 'utf8',
  });
  if (!okCodes.includes(run.status ?? -1)) throw new Error(`celery ${args.join(' ')} exited ${run.status}: ${run.stderr.slice(-400)}`);
  return performance.now() - start;
}

/** Starts the peer (run_peer.sh), times its CLI commands (median of 7 wall times, ms), stops it. */
export async function benchPeerCli(): Promise<{ call: number; inspectPing: number }> {
  const runDir = path.join(PACKAGE_ROOT, 'var', 'peer-run');
  const [port, redisPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, PEER_RUN_DIR: runDir, PEER_REDIS_PORT: String(redisPort) };
  delete env.REDIS_URL;
  const started = spawnSync('bash', [path.join(PEER_DIR, 'run_peer.sh'), String(port)], { env, encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`run_peer.sh failed: ${started.stderr.slice(-400)}`);
  try {
    const redisUrl = `redis://127.0.0.1:${redisPort}/0`;
    const time = (args: string[]) => median(Array.from({ length: 7 }, () => celery(args, redisUrl, [0])));
    return { call: time(['call', 'peer_app.prelim', '--args', '["S240101a", "G1"]']), inspectPing: time(['inspect', 'ping', '-t', '1']) };
  } finally {
    spawnSync('bash', [path.join(PEER_DIR, 'stop_peer.sh')], { env, stdio: 'ignore' });
  }
}
