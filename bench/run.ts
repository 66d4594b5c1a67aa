// `npm run bench`: starts a private redis-server, runs the benchmarks and prints a table (not a test).
import { startRedis } from '../test/helpers/redis-server.js';
import { benchEngine } from './engine-bench.js';
import { printTable } from './stats.js';

const quick = process.argv.includes('--quick');
const redis = await startRedis();
try {
  const rows = await benchEngine(redis.url, { pings: quick ? 200 : 1000, enqueues: quick ? 2000 : 10_000 });
  printTable(`gwqueue engine (node ${process.version}, ${new Date().toISOString()})`, rows);
} finally {
  await redis.stop();
}
