// Starts the web console: a producer client, the GraceDB, createApp, and an HTTP server on the configured port.
import http from 'node:http';
import type { Config } from '../config/index.js';
import { TaskClient } from '../queue/client.js';
import { createRedisConnection, waitUntilReady } from '../queue/connection.js';
import { setCurrentClient } from '../queue/current-client.js';
import { createApp } from './app.js';
import { createConsoleGraceDb, buildOperatorCanvas } from './operator-chains.js';

export interface WebServer {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

export async function startWebServer(config: Config, options: { port?: number; host?: string } = {}): Promise<WebServer> {
  // The console starts even when Redis is down: pages answer 503 until it is back, and ioredis reconnects by itself.
  const redis = createRedisConnection(config, 'producer');
  // But when Redis is up, the first requests must not get a 503 only because the connection was still being made.
  await waitUntilReady(redis, config).catch(() => {});
  const client = new TaskClient(config, redis);
  setCurrentClient(client);
  const host = options.host ?? config.web.host;
  const { gracedb, url: gracedbUrl } = createConsoleGraceDb(config, redis);
  const app = createApp({ config, client, gracedb, gracedbUrl, buildOperatorCanvas, listenHost: host });
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.web.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.web.port;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await client.close();
    },
  };
}
