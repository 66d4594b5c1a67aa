// Superevent grouping on the embedded GraceDB: create, join and widen, preferred-event choice, labels, categories, races.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import { EmbeddedGraceDb } from '../../src/gracedb/index.js';
import { bullPrefix } from '../../src/redis/keys.js';
import { groupEvent, type GroupingDeps } from '../../src/tasks/superevents.js';
import { cbcEvent, eventFile, COMPLETE_CBC } from './hand-made-events.js';
import type { Config } from '../../src/config/index.js';

describe('superevent grouping', () => {
  let server: TestRedis;
  let redis: Redis;
  let config: Config;
  let deps: GroupingDeps;
  let gracedb: EmbeddedGraceDb;
  let base = 1_388_232_018;

  /** A fresh stretch of time per test: the grouping query looks 100 s either side. */
  const nextTime = () => (base += 1000);

  const upload = (event: ReturnType<typeof cbcEvent>, group = 'CBC') =>
    gracedb.createEvent({
      group,
      pipeline: event.pipeline,
      search: event.search ?? undefined,
      labels: event.labels,
      filename: 'coinc.json',
      filecontents: eventFile(event),
    });

  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    config = testConfig(server.url, { GWQUEUE_JOINT_MDC_FREQ: '0' });
    gracedb = new EmbeddedGraceDb(redis, bullPrefix(config));
    deps = { config, gracedb, redis };
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  test('a first event creates a superevent around it; complete and publishable, it is EM_READY, ADVREQ and EM_Selected', async () => {
    const t = nextTime();
    const event = await upload(cbcEvent({ gpstime: t }));
    const result = await groupEvent(deps, event.graceid);
    assert.equal(result.action, 'created');
    const superevent = await gracedb.getSuperevent(result.superevent_id!);
    assert.deepEqual([superevent.t_start, superevent.t_0, superevent.t_end], [t - 1, t, t + 1]);
    assert.equal(superevent.preferred_event, event.graceid);
    assert.equal(superevent.category, 'Production');
    assert.deepEqual([...superevent.labels].sort(), ['ADVREQ', 'EM_READY', 'EM_Selected']);
    assert.equal((await gracedb.getEvent(event.graceid)).superevent, superevent.superevent_id);
  });

  test('an overlapping event joins, widens the window and becomes preferred when it ranks higher', async () => {
    const t = nextTime();
    const quiet = await upload(cbcEvent({ gpstime: t, snr: 9, labels: ['SKYMAP_READY'] }));
    const created = await groupEvent(deps, quiet.graceid);
    assert.deepEqual(created.labels, ['ADVREQ'], 'publishable but incomplete: no EM_READY, not frozen');
    const loud = await upload(cbcEvent({ gpstime: t + 0.5, snr: 15 }));
    const joined = await groupEvent(deps, loud.graceid);
    assert.equal(joined.action, 'added');
    assert.equal(joined.superevent_id, created.superevent_id);
    const superevent = await gracedb.getSuperevent(created.superevent_id!);
    assert.deepEqual([superevent.t_start, superevent.t_0, superevent.t_end], [t - 1, t + 0.5, t + 1.5]);
    assert.equal(superevent.preferred_event, loud.graceid);
    assert.deepEqual([...superevent.gw_events].sort(), [quiet.graceid, loud.graceid].sort());
    assert.ok(superevent.labels.includes('EM_READY') && superevent.labels.includes('EM_Selected'));

    const quieter = await upload(cbcEvent({ gpstime: t + 0.2, snr: 10 }));
    await groupEvent(deps, quieter.graceid);
    assert.equal((await gracedb.getSuperevent(created.superevent_id!)).preferred_event, loud.graceid, 'a weaker event does not take over');
  });

  test('EM_Selected freezes the preferred event; an event outside the window starts a new superevent', async () => {
    const t = nextTime();
    const first = await upload(cbcEvent({ gpstime: t, snr: 10 }));
    const { superevent_id } = await groupEvent(deps, first.graceid);
    const louder = await upload(cbcEvent({ gpstime: t + 0.3, snr: 30, ifos: ['H1', 'L1', 'V1'] }));
    await groupEvent(deps, louder.graceid);
    assert.equal((await gracedb.getSuperevent(superevent_id!)).preferred_event, first.graceid);
    const later = await upload(cbcEvent({ gpstime: t + 3 }));
    const separate = await groupEvent(deps, later.graceid);
    assert.equal(separate.action, 'created');
    assert.notEqual(separate.superevent_id, superevent_id);
  });

  test('MDC and Test events go to superevents of their own category; high-FAR and external events are skipped', async () => {
    const t = nextTime();
    const production = await groupEvent(deps, (await upload(cbcEvent({ gpstime: t }))).graceid);
    const mdc = await groupEvent(deps, (await upload(cbcEvent({ gpstime: t, search: 'MDC' }))).graceid);
    const testEvent = await groupEvent(deps, (await upload(cbcEvent({ gpstime: t }), 'Test')).graceid);
    assert.match(production.superevent_id!, /^S\d{6}[a-z]+$/);
    assert.match(mdc.superevent_id!, /^MS\d{6}[a-z]+$/);
    assert.match(testEvent.superevent_id!, /^TS\d{6}[a-z]+$/);
    const noisy = await groupEvent(deps, (await upload(cbcEvent({ gpstime: t, far: 1e-3 }))).graceid);
    assert.equal(noisy.action, 'skipped');
    assert.match(noisy.reason!, /above the superevent threshold/);
    const grb = await gracedb.createEvent({
      group: 'External',
      pipeline: 'Fermi',
      search: 'GRB',
      filename: 'grb.json',
      filecontents: JSON.stringify({ gpstime: t, far: 1e-6 }),
    });
    assert.equal((await groupEvent(deps, grb.graceid)).action, 'skipped');
    assert.equal((await gracedb.getEvent(grb.graceid)).superevent, null);
  });

  test('when its last data product label arrives, a grouped event is looked at again and the superevent becomes EM_READY', async () => {
    const t = nextTime();
    const event = await upload(cbcEvent({ gpstime: t, labels: ['SKYMAP_READY', 'EMBRIGHT_READY'] }));
    const { superevent_id } = await groupEvent(deps, event.graceid);
    assert.ok(!(await gracedb.getSuperevent(superevent_id!)).labels.includes('EM_READY'));
    await gracedb.createLabel('PASTRO_READY', event.graceid);
    const again = await groupEvent(deps, event.graceid, 'label_added');
    assert.equal(again.action, 'updated');
    assert.deepEqual([...(await gracedb.getSuperevent(superevent_id!)).labels].sort(), ['ADVREQ', 'EM_READY', 'EM_Selected']);
  });

  test('events of the same moment grouped at the same time by different workers end up in ONE superevent', async () => {
    const t = nextTime();
    const events = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        upload(cbcEvent({ gpstime: t + index * 0.01, snr: 10 + index, labels: COMPLETE_CBC.slice(0, 1) })),
      ),
    );
    // Each "worker" has its own Redis connection, as separate processes would.
    const connections = events.map(() => new Redis(server.url));
    try {
      const results = await Promise.all(
        events.map((event, index) =>
          groupEvent(
            { ...deps, redis: connections[index], gracedb: new EmbeddedGraceDb(connections[index], bullPrefix(config)) },
            event.graceid,
          ),
        ),
      );
      const ids = new Set(results.map((result) => result.superevent_id));
      assert.equal(ids.size, 1, `one superevent, got ${[...ids].join(', ')}`);
      assert.equal(results.filter((result) => result.action === 'created').length, 1);
      const superevent = await gracedb.getSuperevent([...ids][0]!);
      assert.equal(superevent.gw_events.length, 8);
      assert.equal(superevent.preferred_event, events[7].graceid, 'the loudest, whatever the order they ran in');
    } finally {
      connections.forEach((connection) => connection.disconnect());
    }
  });
});
