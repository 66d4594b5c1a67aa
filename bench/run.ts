// `npm run bench [-- --peer] [-- --quick]`: starts a private redis-server, runs the benchmarks, prints tables (not a test).
import { startRedis } from '../test/helpers/redis-server.js';
import { benchCli, benchEngine } from './engine-bench.js';
import { benchPeerCli, peerMissing } from './peer-cli-bench.js';
import { benchDashboard } from './dashboard-bench.js';
import { printTable, type Row } from './stats.js';

const quick = process.argv.includes('--quick');
const withPeer = process.argv.includes('--peer');
const redis = await startRedis();
const stamp = `node ${process.version}, ${new Date().toISOString()}`;
try {
  printTable(`gwqueue engine (${stamp})`, await benchEngine(redis.url, { pings: quick ? 200 : 1000, enqueues: quick ? 2000 : 10_000 }));
  const cli: Row[] = await benchCli(redis.url);
  if (withPeer) {
    const missing = peerMissing();
    if (missing) console.log(`\npeer skipped: ${missing}`);
    else cli.push(...benchPeerCli());
  }
  printTable('command line, node/python start included', cli);
  printTable('dashboard, 100,000 retained tasks', await benchDashboard(redis.url, { tasks: quick ? 20_000 : 100_000, requests: quick ? 10 : 40 }));
} finally {
  await redis.stop();
}
