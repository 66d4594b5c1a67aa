// GET /metrics over HTTP: a handler for the web console (its own metrics and the deployment's), and a small server of its own for each worker (--metrics-port: its own only).
import nodeCluster from 'node:cluster';
import http from 'node:http';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { hostPort, type Config } from '../config/index.js';
import { createClusterRegistry, getProcessMetrics, METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';
import { clusterProcessMetrics } from './metrics-cluster.js';
import { listenOn } from '../log/listen.js';

/**
 * The console's /metrics: no session, no cookie; the deployment's numbers come from Redis at each scrape. A console of
 * several processes answers for all of them (metrics-cluster.ts), or 503 if they cannot be gathered.
 */
export function metricsRoute(redis: Redis, config: Config) {
  const cluster = createClusterRegistry(redis, config);
  const processes = nodeCluster.isWorker ? clusterProcessMetrics(getProcessMetrics().registry) : undefined;
  return async (_req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    let text: string;
    try {
      text = await renderMetrics(cluster, processes);
    } catch (error) {
      res
        .status(503)
        .type('text/plain')
        .send(`metrics of the console processes could not be gathered: ${(error as Error).message}\n`);
      return;
    }
    res.type(METRICS_CONTENT_TYPE).send(text);
  };
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A worker's metrics endpoint: GET /metrics only (and / as a pointer to it), with this process's own metrics. The
 * deployment's (read from Redis) are the console's alone: every worker exporting them too made each alert on them fire
 * once per scraped process.
 */
export async function startMetricsServer(port: number, host: string): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('gwqueue worker: metrics at /metrics\n');
      return;
    }
    if (url.pathname !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    renderMetrics().then(
      (text) =>
        res
          .writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' })
          .end(req.method === 'HEAD' ? undefined : text),
      (error: Error) => res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${error.message}\n`),
    );
  });
  server.keepAliveTimeout = 65_000;
  await listenOn(server, port, host, 'the worker metrics (--metrics-port, GWQUEUE_WORKER_METRICS_PORT)');
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${hostPort(host, actualPort)}/metrics`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
