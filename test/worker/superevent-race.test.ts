// Two real `gwqueue worker -Q superevent` processes group 8 events of one moment, all enqueued at once: one superevent.
// Runs dist/ (`npm run build` first).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { type TestRedis } from '../helpers/redis-server.js';
import { eventually } from '../helpers/eventually.js';
import { startCli } from '../helpers/cli.js';
import { startProcesses, type Processes } from '../helpers/real-processes.js';
import { cbcEvent, eventFile } from '../tasks/hand-made-events.js';
import type { Config } from '../../src/config/index.js';
import { type TaskClient } from '../../src/queue/client.js';
import { liveWorkers } from '../../src/queue/heartbeats.js';
import { EmbeddedGraceDb } from '../../src/gracedb/embedded-store.js';
import { bullPrefix } from '../../src/redis/keys.js';
import { processEvent, type GroupingResult } from '../../src/tasks/superevents.js';

type Started = Awaited<ReturnType<typeof startCli>>;

const EVENTS = 8;

describe('superevent grouping with several superevent workers', () => {
  let environment: Processes;
  let server: TestRedis;
  let redis: Redis;
  let config: Config;
  let client: TaskClient;
  const workers: Started[] = [];

  before(async () => {
    const settings = { GWQUEUE_HEARTBEAT_MS: '200', GWQUEUE_JOINT_MDC_FREQ: '0' };
    environment = await startProcesses({ env: settings });
    server = environment.redis;
    config = environment.config;
    const env = { REDIS_URL: server.url, GWQUEUE_PREFIX: config.prefix, GWQUEUE_ENV: 'test', ...settings };
    redis = new Redis(server.url);
    client = environment.client;
    // Two superevent workers, as a deployment that scaled the queue out (each runs one grouping at a time).
    for (const name of ['se-a@race', 'se-b@race'])
      workers.push(await startCli(['worker', '-n', name, '-Q', 'superevent'], env, /consuming/, 30_000));
    await eventually(async () => (await liveWorkers(client.redis, config)).length === 2, 10_000, 'both workers online');
  });
  after(async () => {
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exited));
    redis?.disconnect();
    await environment?.stop();
  });

  test('8 overlapping events enqueued at once end in exactly one superevent', async () => {
    // Created without the "new event" hook, so that the 8 groupings are enqueued below all at once.
    const gracedb = new EmbeddedGraceDb(redis, bullPrefix(config));
    const t = 1_388_232_018;
    const events = await Promise.all(
      Array.from({ length: EVENTS }, (_, i) => {
        const event = cbcEvent({ gpstime: t + i * 0.1, snr: 10 + i });
        return gracedb.createEvent({
          group: 'CBC',
          pipeline: event.pipeline,
          search: event.search ?? undefined,
          labels: event.labels,
          filename: 'coinc.json',
          filecontents: eventFile(event),
        });
      }),
    );
    const handles = await Promise.all(events.map((event) => processEvent.delay(event.graceid)));
    const results = (await Promise.all(handles.map((handle) => handle.get({ timeout: 60 })))) as GroupingResult[];

    const ids = new Set(results.map((result) => result.superevent_id));
    assert.equal(ids.size, 1, `one superevent, got ${[...ids].join(', ')}`);
    assert.deepEqual(
      results.map((result) => result.action).sort(),
      [...Array<string>(EVENTS - 1).fill('added'), 'created'],
      'one grouping created it, the others joined it',
    );
    const [sid] = ids;
    const stored = await gracedb.searchSuperevents(`t_0: ${t - 100} .. ${t + 100}`);
    assert.deepEqual(
      stored.map((superevent) => superevent.superevent_id),
      [sid],
    );
    const superevent = await gracedb.getSuperevent(sid!);
    assert.deepEqual([...superevent.gw_events].sort(), events.map((event) => event.graceid).sort());
    for (const event of events) assert.equal((await gracedb.getEvent(event.graceid)).superevent, sid);
    // The race was real: both workers took groupings.
    const ranOn = new Set(await Promise.all(handles.map(async (handle) => (await handle.info()).worker)));
    assert.deepEqual([...ranOn].sort(), ['se-a@race', 'se-b@race']);
  });
});
