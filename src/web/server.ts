// Starts an app of ours (the console, or the stand-alone dashboard): a producer client, the GraceDB, an HTTP server.
import http from 'node:http';
import type { Express } from 'express';
import type { Config } from '../config/index.js';
import { TaskClient } from '../queue/client.js';
import { createRedisConnection, waitUntilReady } from '../redis/connection.js';
import { setCurrentClient } from '../queue/current-client.js';
import { createApp } from './app.js';
import { createConsoleGraceDb, type WebDeps } from './context.js';

export interface WebServer {
  server: http.Server;
  /** http://host:port, without a path. */
  url: string;
  close(): Promise<void>;
}

/** Builds the app from its dependencies and listens on `port` (0: any free port) at `host`. */
export async function serveApp(
  config: Config,
  buildApp: (deps: WebDeps) => Express,
  listen: { port: number; host: string },
): Promise<WebServer> {
  // It starts even when Redis is down (pages answer 503 until it is back; ioredis reconnects by itself), but when
  // Redis is up the first requests must not get a 503 only because the connection was still being made.
  const redis = createRedisConnection(config, 'producer');
  await waitUntilReady(redis, config).catch(() => {});
  const client = new TaskClient(config, redis);
  setCurrentClient(client);
  const { gracedb, url: gracedbUrl } = createConsoleGraceDb(config, redis);
  const server = http.createServer(buildApp({ config, client, gracedb, gracedbUrl, listenHost: listen.host }));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  return {
    server,
    url: `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await client.close();
    },
  };
}

/** The operator console on the configured port (PORT, 5000) and host. */
export function startWebServer(config: Config, options: { port?: number; host?: string } = {}): Promise<WebServer> {
  return serveApp(config, createApp, { port: options.port ?? config.web.port, host: options.host ?? config.web.host });
}
