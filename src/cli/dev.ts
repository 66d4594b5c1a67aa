// `gwqueue dev` (npm start): embedded Redis unless REDIS_URL is set, one worker for all queues and the console, in one process tree.
import type { Command } from 'commander';
import { action, EXIT } from './context.js';
import { setStopBound, stopSignal, untilStopRequested } from './stop-signals.js';
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
          { prepareWorker, checkQueueSettings },
          { startWebServer },
          { logger },
          { stopStep },
          { runStartUp },
        ] = await Promise.all([
          import('../config/index.js'),
          import('../redis/embedded-redis.js'),
          import('../redis/connection.js'),
          import('../worker/run-worker.js'),
          import('../web/server.js'),
          import('../log/logger.js'),
          import('../log/stop-step.js'),
          import('../log/start-up.js'),
          import('../tasks/index.js'),
        ]);
        const config = getConfig();
        setStopBound(config.worker.shutdownTimeoutMs + 1000);
        checkQueueSettings(config);
        const log = logger('dev');
        // Whatever can fail comes before the worker takes a job: Redis, the worker's start (its metrics port, when
        // GWQUEUE_WORKER_METRICS_PORT is set), the console's port. A step that fails, or a SIGTERM meanwhile, closes
        // what had started (the embedded Redis last), and nothing ran.
        const { redis, worker, web } = await runStartUp(log, stopSignal, async (start) => {
          const redis = config.redis.url ? undefined : await startEmbeddedRedis(config, stopSignal);
          if (redis) start.started('the embedded Redis', () => redis.stop(), 250);
          if (redis && !redis.owned) process.stderr.write(`gwqueue: using the embedded Redis already running at ${redis.socket}\n`);
          process.stderr.write(`gwqueue: Redis at ${describeRedis(config)}\n`);
          const worker = await prepareWorker(config, { signal: stopSignal });
          start.started('the worker', () => worker.stop(), 1000);
          const web = await startWebServer(config, { port, signal: stopSignal });
          return { redis, worker, web };
        });
        worker.consume();
        process.stderr.write(`gwqueue: worker ${worker.name} consuming ${worker.queues.join(', ')}\n`);
        process.stderr.write(`gwqueue: console at ${web.url}${config.web.urlPrefix}\n`);
        process.stderr.write('gwqueue: ready. Press Ctrl-C to stop.\n');
        await untilStopRequested();
        process.stderr.write('gwqueue: stopping…\n');
        // Side by side, each bounded by the shutdown timeout (+ 0.3-0.5 s for Redis): one after the other would be twice it.
        const [webClean, workerClean] = await Promise.all([web.close(), worker.stop()]);
        const { resetServices } = await import('../tasks/services.js');
        let clean = (await stopStep(log, resetServices(), 200, "closing the tasks' services (GraceDB, Redis)")) && webClean && workerClean;
        // A hung embedded Redis would not see its SIGTERM; it is left to stop by itself (its own process group).
        if (redis) clean = (await stopStep(log, redis.stop(), 250, 'stopping the embedded Redis', { socket: redis.socket })) && clean;
        return clean ? EXIT.OK : EXIT.FAILURE;
      }),
    );
}
