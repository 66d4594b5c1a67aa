// `gwqueue dev` (npm start): embedded Redis unless REDIS_URL is set, one worker for all queues, in one process tree.
import type { Command } from 'commander';
import { action, EXIT } from './context.js';
import { untilSignal } from './worker.js';

export function register(program: Command): void {
  program
    .command('dev')
    .description('run everything on this machine: embedded Redis (unless REDIS_URL), a worker for all queues')
    .action(
      action(async () => {
        const [{ getConfig }, { startEmbeddedRedis }, { describeRedis }, { startWorker }] = await Promise.all([
          import('../config/index.js'),
          import('../queue/embedded-redis.js'),
          import('../queue/connection.js'),
          import('../worker/run-worker.js'),
          import('../tasks/index.js'),
        ]);
        const config = getConfig();
        const redis = config.redis.url ? undefined : await startEmbeddedRedis(config);
        if (redis && !redis.owned) process.stderr.write(`gwqueue: using the embedded Redis already running at ${redis.socket}\n`);
        process.stderr.write(`gwqueue: Redis at ${describeRedis(config)}\n`);
        const worker = await startWorker(config, {});
        process.stderr.write(`gwqueue: worker ${worker.name} consuming ${worker.queues.join(', ')}\n`);
        process.stderr.write('gwqueue: ready. Press Ctrl-C to stop.\n');
        await untilSignal();
        process.stderr.write('gwqueue: stopping…\n');
        const clean = await worker.stop();
        await redis?.stop();
        return clean ? EXIT.OK : EXIT.FAILURE;
      }),
    );
}
