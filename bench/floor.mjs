// The bare stack on the design card's web parts: bench/bare.mjs's form path through Express 5, helmet, express.urlencoded and express-validator, one process.
// What the libraries gwqueue must use cost before any of gwqueue's own work (identity, sessions, the GraceDB look-up,
// the idempotency claim, the audit entry, the task index). Same answers as bench/bare.mjs: `303 /result/<id>` for a
// valid form, `302 /` otherwise, and `GET /result/<id>` with {id, state} for the latency probe.
// With --steps, it also does the Redis work of gwqueue's required steps, and nothing else of ours: the event's look-up
// (HGETALL + ZRANGE, sent together), the audit entry (XADD), and in the worker one record per finished task (HSET +
// ZADD + HINCRBY in one MULTI): the floor of the required parts, for the CPU figures.
// With --split as well, the worker runs in a process of its own (this file with --worker), as gwqueue's do: the floor of
// the required parts in the required processes.
// With --browser as well, the browser's required parts on top: a session in Redis (express-session, connect-redis, a
// signed cookie), the CSRF check (csrf-sync), the form's one-time token claimed (SET NX) and recorded with the audit
// entry, and the flash written back to the session: GET / gives the cookie and the CSRF token, as the console's does.
// Usage (from the project's root, so that the packages resolve): node bench/floor.mjs PORT REDIS_URL [--steps [--split] [--browser]]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { EVENT, openQueue, SUPEREVENT } from './bare-queue.mjs';

const require = createRequire(import.meta.url);
const express = require('express');
const helmet = require('helmet');
const { body, validationResult } = require('express-validator');

const [port, redisUrl, ...modes] = process.argv.slice(2);
const steps = modes.includes('--steps');
const browser = modes.includes('--browser');
if (modes.includes('--worker')) {
  // The worker process of --split: the queue's worker and its records, nothing else.
  const worker = openQueue(redisUrl, { recordFinished: true });
  console.log('bare ready');
  process.once('SIGTERM', async () => {
    await worker.close();
    process.exit(0);
  });
} else {
  await serve();
}

async function serve() {
  const split = modes.includes('--split');
  const child = split
    ? spawn(process.execPath, [fileURLToPath(import.meta.url), '-', redisUrl, '--worker'], { stdio: ['ignore', 'pipe', 'inherit'] })
    : undefined;
  if (child) await once(child.stdout, 'data');
  const queue = openQueue(redisUrl, { recordFinished: steps, worker: !split });
  const redis = steps ? queue.connection() : undefined;
  // The one event the bench's form names (bench/web-bench.ts sends S240101abc and G123456 to the floor).
  await redis?.hset('floor:event:G123456', { graceid: 'G123456', superevent: 'S240101abc', pipeline: 'gstlal', far: '1e-9' });
  await redis?.zadd('floor:event:G123456:labels', 0, 'EM_READY');

  const app = express();
  app.use(helmet());
  app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }));
  const csrf = browser ? browserParts(app, redis) : undefined;
  app.post(
    '/send_preliminary_gcn',
    ...(csrf ? [csrf] : []),
    body('superevent_id').isString().matches(SUPEREVENT),
    body('event_id').isString().matches(EVENT),
    async (req, res) => {
      if (!validationResult(req).isEmpty()) return res.redirect(302, '/');
      try {
        const claim = browser ? `floor:claim:${req.body.submission_token}` : undefined;
        if (claim && (await redis.set(claim, 'pending', 'EX', 86400, 'NX')) !== 'OK') return res.redirect(303, '/');
        if (redis) {
          const [event] = await Promise.all([
            redis.hgetall(`floor:event:${req.body.event_id}`),
            redis.zrange(`floor:event:${req.body.event_id}:labels`, 0, -1),
          ]);
          if (!event.graceid) return res.redirect(302, '/');
        }
        const id = await queue.add(req.body.superevent_id, req.body.event_id);
        if (claim) redis.set(claim, id, 'EX', 86400).catch(() => {});
        await redis?.xadd(
          'floor:audit',
          'MAXLEN',
          '~',
          '100000',
          '*',
          'record',
          JSON.stringify({ user: 'bench', action: 'send_preliminary_gcn', fields: req.body, taskId: id, time: Date.now() }),
        );
        if (browser) req.session.flash = [{ kind: 'success', text: `Queued ${id}` }];
        res.redirect(303, `/result/${id}`);
      } catch {
        res.sendStatus(503);
      }
    },
  );
  app.get('/result/:id', async (req, res) => {
    try {
      const found = await queue.result(req.params.id);
      res.status(found ? 200 : 404).json(found ?? { id: req.params.id, state: 'unknown', result: null });
    } catch (error) {
      res.status(503).send(String(error));
    }
  });
  const server = app.listen(Number(port), '127.0.0.1', () => console.log('bare ready'));

  process.once('SIGTERM', async () => {
    server.close();
    child?.kill('SIGTERM');
    await queue.close();
    if (child && child.exitCode === null) await once(child, 'exit');
    process.exit(0);
  });
}

/** The browser's parts (--browser): sessions in Redis, GET / with the CSRF token, the flash read back; returns the CSRF check. */
function browserParts(app, redis) {
  const session = require('express-session');
  const { RedisStore } = require('connect-redis');
  const { csrfSync } = require('csrf-sync');
  app.use(
    session({
      store: new RedisStore({ client: redis, prefix: 'floor:sess:', ttl: 12 * 3600 }),
      secret: 'floor-bench-secret-of-some-length',
      name: 'floor.sid',
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'strict', maxAge: 12 * 3600 * 1000 },
    }),
  );
  const csrf = csrfSync({ getTokenFromRequest: (req) => req.body?._csrf });
  app.get('/', (req, res) => {
    const token = csrf.generateToken(req);
    const flash = req.session.flash ?? [];
    delete req.session.flash;
    res.type('html').send(`<form method="post"><input type="hidden" name="_csrf" value="${token}">${flash.length}</form>`);
  });
  return csrf.csrfSynchronisedProtection;
}
