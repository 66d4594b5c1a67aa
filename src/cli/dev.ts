// `gwqueue dev` (npm start): embedded Redis unless REDIS_URL is set, one worker for all queues and the console, in one process tree.
import type { Command } from 'commander';
import { action, EXIT, leaveAfterStop } from './context.js';
import { untilSignal } from './worker.js';
import { parsePort } from './web.js';

export function register(program: Command): void {
  program
    .command('dev')
    .description('run everything on this machine: embedded Redis (unless REDIS_URL), a worker for all queues, the console')
    .option('-p, --port <port>', 'console port (default: PORT or 5000)')
    .action(
      action(async (options: { port?: string }) => {
        // Before anything starts: a bad port must not leave Redis and a worker running.
        const port = parsePort(options.port);
        const [
          { getConfig },
          { startEmbeddedRedis },
          { describeRedis },
          { startWorker, checkQueueSettings },
          { startWebServer },
          { logger },
          { stopStep },
        ] = await Promise.all([
          import('../config/index.js'),
          import('../redis/embedded-redis.js'),
          import('../redis/connection.js'),
          import('../worker/run-worker.js'),
          import('../web/server.js'),
          import('../log/logger.js'),
          import('../log/stop-step.js'),
          import('../tasks/index.js'),
        ]);
        const config = getConfig();
        checkQueueSettings(config);
        const signal = untilSignal();
        const redis = config.redis.url ? undefined : await startEmbeddedRedis(config);
        if (redis && !redis.owned) process.stderr.write(`gwqueue: using the embedded Redis already running at ${redis.socket}\n`);
        process.stderr.write(`gwqueue: Redis at ${describeRedis(config)}\n`);
        const worker = await startWorker(config, {});
        process.stderr.write(`gwqueue: worker ${worker.name} consuming ${worker.queues.join(', ')}\n`);
        const web = await startWebServer(config, { port });
        process.stderr.write(`gwqueue: console at ${web.url}${config.web.urlPrefix}\n`);
        process.stderr.write('gwqueue: ready. Press Ctrl-C to stop.\n');
        await signal;
        process.stderr.write('gwqueue: stopping…\n');
        // Side by side, each bounded by the shutdown timeout (+ 0.3-0.5 s for Redis): one after the other would be twice it.
        const [webClean, workerClean] = await Promise.all([web.close(), worker.stop()]);
        const log = logger('dev');
        const { resetServices } = await import('../tasks/services.js');
        let clean = (await stopStep(log, resetServices(), 200, "closing the tasks' services (GraceDB, Redis)")) && webClean && workerClean;
        // A hung embedded Redis would not see its SIGTERM; it is left to stop by itself (its own process group).
        if (redis) clean = (await stopStep(log, redis.stop(), 250, 'stopping the embedded Redis', { socket: redis.socket })) && clean;
        return leaveAfterStop(clean ? EXIT.OK : EXIT.FAILURE);
      }),
    );
}
