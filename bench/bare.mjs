// The bare stack, the floor of the form path (../shared/bench/bare): node:http, urlencoded parse, two regex checks, BullMQ add, a BullMQ worker with the peer's no-op task, one process.
// No sessions, CSRF, identity, audit or templates. It answers `303 /result/<id>` for a valid form and `302 /` otherwise,
// like the peer, and `GET /result/<id>` with {id, state} so that the latency probe can measure submit→done too.
// Usage (from the project's root, so that bullmq and ioredis resolve): node bench/bare.mjs PORT REDIS_URL
import http from 'node:http';
import { createRequire } from 'node:module';
import { URLSearchParams } from 'node:url';

const require = createRequire(import.meta.url);
const { Job, Queue, Worker } = require('bullmq');
const { Redis } = require('ioredis');

const [port, redisUrl] = process.argv.slice(2);
const connection = () => new Redis(redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue('bare', { connection: connection() });
const worker = new Worker('bare', async (job) => ({ ...job.data, alert_type: 'preliminary', sent: true }), {
  connection: connection(),
  concurrency: 4,
});
const SUPEREVENT = /^[MT]?S\d{6}[a-z]+$/;
const EVENT = /^[GMTE]\d+$/;

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url?.startsWith('/result/')) {
    const id = decodeURIComponent(req.url.slice('/result/'.length));
    Job.fromId(queue, id)
      .then(async (job) => {
        const state = job ? await job.getState() : 'unknown';
        res.writeHead(job ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id, state, result: job?.returnvalue ?? null }));
      })
      .catch((error) => {
        res.writeHead(503);
        res.end(String(error));
      });
    return;
  }
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', async () => {
    const form = new URLSearchParams(body);
    const superevent = form.get('superevent_id') ?? '';
    const event = form.get('event_id') ?? '';
    if (!SUPEREVENT.test(superevent) || !EVENT.test(event)) {
      res.writeHead(302, { location: '/' });
      return res.end();
    }
    try {
      const job = await queue.add('prelim', { superevent_id: superevent, event_id: event }, { removeOnComplete: 1000 });
      res.writeHead(303, { location: `/result/${job.id}` });
    } catch {
      res.writeHead(503);
    }
    res.end();
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log('bare ready'));

process.once('SIGTERM', async () => {
  server.close();
  await worker.close();
  await queue.close();
  process.exit(0);
});
