// The bare stack, the floor of the form path (../shared/bench/bare): node:http, urlencoded parse, two regex checks, BullMQ add, a BullMQ worker with the peer's no-op task, one process.
// No sessions, CSRF, identity, audit or templates. It answers `303 /result/<id>` for a valid form and `302 /` otherwise,
// like the peer, and `GET /result/<id>` with {id, state} so that the latency probe can measure submit→done too.
// Usage (from the project's root, so that bullmq and ioredis resolve): node bench/bare.mjs PORT REDIS_URL
import http from 'node:http';
import { URLSearchParams } from 'node:url';
import { EVENT, openQueue, SUPEREVENT } from './bare-queue.mjs';

const [port, redisUrl] = process.argv.slice(2);
const queue = openQueue(redisUrl);

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url?.startsWith('/result/')) {
    const id = decodeURIComponent(req.url.slice('/result/'.length));
    queue
      .result(id)
      .then((found) => {
        res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify(found ?? { id, state: 'unknown', result: null }));
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
      res.writeHead(303, { location: `/result/${await queue.add(superevent, event)}` });
    } catch {
      res.writeHead(503);
    }
    res.end();
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log('bare ready'));

process.once('SIGTERM', async () => {
  server.close();
  await queue.close();
  process.exit(0);
});
