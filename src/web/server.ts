// Starts an app of ours (the console, or the stand-alone dashboard): a producer client, the GraceDB, an HTTP server.
import http from 'node:http';
import type { Express } from 'express';
import { hostPort, type Config } from '../config/index.js';
import { TaskClient } from '../queue/client.js';
import { createRedisConnection, describeRedis, waitUntilReady } from '../redis/connection.js';
import { OutageLog } from '../redis/outage-log.js';
import { warnIfWritesAtRisk } from '../redis/durability.js';
import { setCurrentClient } from '../queue/current-client.js';
import { createApp } from './app.js';
import { createConsoleGraceDb, type WebDeps } from './context.js';
import { logger } from '../log/logger.js';
import { stopStep } from '../log/stop-step.js';
import { runStartUp } from '../log/start-up.js';
import { listenOn } from '../log/listen.js';

export interface WebServer {
  server: http.Server;
  /** http://host:port, without a path. */
  url: string;
  /**
   * Stops: no new connections, requests in flight get up to `timeoutMs` (GWQUEUE_SHUTDOWN_TIMEOUT_MS), then every
   * connection left is cut and the Redis connections get 0.3 s. Never waits longer, Redis up, away or hung; what did
   * not finish is logged. Resolves true when everything finished in time.
   */
  close(timeoutMs?: number): Promise<boolean>;
}

/** What a request gets in the moment between the port being bound and the app being ready (its address not yet said). */
function starting(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '1', Connection: 'close' }).end('starting\n');
}

/** Where an app listens, and when. */
export interface Listen {
  /** 0: any free port. */
  port: number;
  host: string;
  /** Named when the port cannot be had. */
  what: string;
  /**
   * Listen only once the app is built. For a console process of `gwqueue web -P N`: the cluster gives a process its
   * share of the connections as soon as it listens, so one still starting would answer some requests 503 while the
   * others serve them; its primary checked the port before forking (cluster.ts).
   */
  onceReady?: boolean;
  /**
   * A listening socket passed by systemd (its .socket unit holds the port): used instead of port and host. Across a
   * restart of the console, connections wait in the socket's backlog for the next process instead of being refused.
   */
  fd?: number;
}

/**
 * Builds the app from its dependencies and listens on `listen.port` at `listen.host`. The port comes first (unless
 * `listen.onceReady`): one in use fails the start at once (ListenError), Redis up or not. `signal`: a stop asked
 * meanwhile ends the start.
 */
export async function serveApp(
  config: Config,
  buildApp: (deps: WebDeps) => Express,
  listen: Listen,
  signal?: AbortSignal,
): Promise<WebServer> {
  const log = logger('web');
  return runStartUp(log, signal, async (start) => {
    const redis = new OutageLog(log, describeRedis(config)).watch(createRedisConnection(config, 'producer'));
    start.started('the Redis connection', () => redis.disconnect());
    const server = http.createServer();
    server.keepAliveTimeout = 65_000;
    const bind = async () => {
      await listenOn(server, listen.port, listen.host, listen.what, listen.fd);
      start.started('the server', () => {
        server.close();
        server.closeAllConnections();
      });
    };
    // The port first, so that one in use fails the start at once, Redis up or not. Until the app is built (it needs
    // a ready connection: the rate limits load their scripts), a request is told to come back.
    if (!listen.onceReady) {
      server.on('request', starting);
      await bind();
    }
    // It starts even when Redis is down (pages answer 503 until it is back; ioredis reconnects by itself), but when
    // Redis is up the first requests must not get a 503 only because the connection was still being made.
    await start.step(waitUntilReady(redis, config).catch(() => {}));
    const client = new TaskClient(config, redis);
    start.started('the queues', () => client.close(), 300);
    setCurrentClient(client);
    const { gracedb, url: gracedbUrl } = createConsoleGraceDb(config, redis);
    // The development profile's local user is allowed only on a loopback address; a passed socket's address is known
    // only once it is taken up, after the app is built: it never allows it (the socket may listen on any address).
    const app = buildApp({ config, client, gracedb, gracedbUrl, listenHost: listen.fd === undefined ? listen.host : '' });
    server.off('request', starting);
    server.on('request', app);
    if (listen.onceReady) await bind();
    warnIfWritesAtRisk(redis, log);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : listen.port;
    // A passed socket's address is systemd's ListenStream=, not the configured host.
    const host = listen.fd !== undefined && typeof address === 'object' && address ? address.address : listen.host;
    const url = `http://${hostPort(host, port)}`;
    return {
      server,
      url,
      async close(timeoutMs = config.worker.shutdownTimeoutMs) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // close() drops the keep-alive connections idle now; one whose request ends later is dropped as it goes idle.
        const idle = setInterval(() => server.closeIdleConnections(), 100);
        let clean = await stopStep(log, closed, timeoutMs, 'requests in flight', { url });
        clearInterval(idle);
        // A client that never finishes its request (or one waiting on a hung Redis) would hold close() for good.
        if (!clean) server.closeAllConnections();
        // With Redis away, closing BullMQ's queues and queue events waits for a connection that may never come back.
        if (!(await stopStep(log, client.close(), 300, 'closing the Redis connections (queues, queue events)'))) {
          client.redis.disconnect();
          clean = false;
        }
        return clean;
      },
    };
  });
}

/** The operator console on the configured port (PORT, 5000) and host. */
export function startWebServer(
  config: Config,
  options: { port?: number; host?: string; signal?: AbortSignal; onceReady?: boolean; fd?: number } = {},
): Promise<WebServer> {
  return serveApp(
    config,
    createApp,
    {
      port: options.port ?? config.web.port,
      host: options.host ?? config.web.host,
      what: 'the console',
      onceReady: options.onceReady,
      fd: options.fd,
    },
    options.signal,
  );
}
