// The bare stack on the design card's web parts: bench/bare.mjs's form path through Express 5, helmet, express.urlencoded and express-validator, one process.
// What the libraries gwqueue must use cost before any of gwqueue's own work (identity, sessions, the GraceDB look-up,
// the idempotency claim, the audit entry, the task index). Same answers as bench/bare.mjs: `303 /result/<id>` for a
// valid form, `302 /` otherwise, and `GET /result/<id>` with {id, state} for the latency probe.
// Usage (from the project's root, so that the packages resolve): node bench/floor.mjs PORT REDIS_URL
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const express = require('express');
const helmet = require('helmet');
const { body, validationResult } = require('express-validator');
const { Job, Queue, Worker } = require('bullmq');
const { Redis } = require('ioredis');

const [port, redisUrl] = process.argv.slice(2);
const connection = () => new Redis(redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue('bare', { connection: connection() });
const worker = new Worker('bare', async (job) => ({ ...job.data, alert_type: 'preliminary', sent: true }), {
  connection: connection(),
  concurrency: 4,
});

const app = express();
app.use(helmet());
app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }));
app.post(
  '/send_preliminary_gcn',
  body('superevent_id')
    .isString()
    .matches(/^[MT]?S\d{6}[a-z]+$/),
  body('event_id')
    .isString()
    .matches(/^[GMTE]\d+$/),
  async (req, res) => {
    if (!validationResult(req).isEmpty()) return res.redirect(302, '/');
    try {
      const job = await queue.add(
        'prelim',
        { superevent_id: req.body.superevent_id, event_id: req.body.event_id },
        { removeOnComplete: 1000 },
      );
      res.redirect(303, `/result/${job.id}`);
    } catch {
      res.sendStatus(503);
    }
  },
);
app.get('/result/:id', async (req, res) => {
  try {
    const job = await Job.fromId(queue, req.params.id);
    const state = job ? await job.getState() : 'unknown';
    res.status(job ? 200 : 404).json({ id: req.params.id, state, result: job?.returnvalue ?? null });
  } catch (error) {
    res.status(503).send(String(error));
  }
});
const server = app.listen(Number(port), '127.0.0.1', () => console.log('bare ready'));

process.once('SIGTERM', async () => {
  server.close();
  await worker.close();
  await queue.close();
  process.exit(0);
});
