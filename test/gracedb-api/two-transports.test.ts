// One GraceDB, two transports: a worker whose GRACEDB_URL is another console's /gracedb/api/ sends the Preliminary alert a worker on the embedded store sends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listAlerts } from '../../src/alerts/outbox.js';
import { dateToGps, EmbeddedGraceDb } from '../../src/gracedb/index.js';
import { bullPrefix } from '../../src/redis/keys.js';
import { gracedbApiUrl } from '../../src/config/index.js';
import { drawMockSource, mockSkymap } from '../../src/tasks/mock-event-files.js';
import type { GraceDb } from '../../src/gracedb/index.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { seedAlertReadyFrom } from '../helpers/superevents.js';
import { DOMAIN_SETTINGS, startInProcess } from '../helpers/in-process.js';
import { comments } from '../tasks/gracedb-logs.js';
import { API_ACCESS, OPERATOR_TOKEN, withApiClient, type ApiFixture } from './api-client.js';

/** What a run of the Preliminary chain leaves: the alert (IDs, times, links and outbox IDs left out), the labels and log lines. */
interface Outcome {
  sent: unknown;
  alert: unknown;
  labels: string[];
  log: string[];
}

/** One mock source for both runs (drawn at random once), so that both seed the same event and data products. */
const source = drawMockSource(dateToGps(new Date('2025-01-01T00:00:00Z')));
const skymap = mockSkymap(source, 'S0');

/** An MDC superevent ready for a Preliminary alert, from `source` (the same in both GraceDBs). */
const seed = (gracedb: GraceDb) => seedAlertReadyFrom(gracedb, source, skymap);

function withoutIds(value: unknown, ids: string[]): unknown {
  let text = JSON.stringify(value);
  for (const [index, id] of ids.entries()) text = text.split(id).join(`<id${index}>`);
  return JSON.parse(
    text
      .replace(/"time_created":"[^"]*"/g, '"time_created":"<time>"')
      .replace(/https?:\/\/[^"]*\/gracedb\//g, '<console>/gracedb/')
      .replace(/\(entry \d+-\d+\)/g, '(entry <outbox id>)'),
  );
}

describe('the Preliminary alert chain over REST and embedded', () => {
  let redis: TestRedis;
  let api: ApiFixture;
  before(async () => {
    redis = await startRedis();
    api = withApiClient(await startInProcess({ listen: true, env: API_ACCESS }));
  });
  after(async () => {
    await api?.stop();
    await redis?.stop();
  });

  async function run(overrides: Record<string, string>, store: () => EmbeddedGraceDb | undefined): Promise<Outcome> {
    const domain = await startInProcess({ redis, env: { ...DOMAIN_SETTINGS, ...overrides }, workers: [{}], services: true });
    try {
      // Seeded without the embedded store's new-event call-back (as over REST, where nothing groups events): the
      // worker must not group the event into a superevent of its own first.
      const seeder = overrides.GRACEDB_URL
        ? domain.services.gracedb
        : new EmbeddedGraceDb(domain.services.redis, bullPrefix(domain.config), { apiUrl: gracedbApiUrl(domain.config) });
      const { superevent, event } = await seed(seeder);
      const result = (await domain.runChain('send_preliminary_gcn', { superevent_id: superevent, event_id: event }, 'erin')) as {
        sent: unknown;
      };
      const [alert] = await listAlerts(domain.services.redis, domain.config, { count: 1, supereventId: superevent });
      // Read back where the GraceDB is: the other console's store, or the worker's own.
      const gracedb = store() ?? domain.services.gracedb;
      const ids = [superevent, event];
      return {
        sent: result.sent,
        alert: withoutIds({ type: alert.alert_type, public: alert.public, payload: alert.payload }, ids),
        labels: (await gracedb.getSuperevent(superevent)).labels,
        log: withoutIds(comments(await gracedb.getLogs(superevent)), ids) as string[],
      };
    } finally {
      await domain.stop();
    }
  }

  test('the same alert, labels and log lines, whichever transport the worker uses', async () => {
    const overRest = await run(
      { GRACEDB_URL: api.root, GRACEDB_TOKEN: OPERATOR_TOKEN },
      () => new EmbeddedGraceDb(api.client, bullPrefix(api.config)),
    );
    const embedded = await run({}, () => undefined);
    assert.equal(overRest.sent, true);
    assert.deepEqual(overRest, embedded);
    assert.ok(overRest.labels.includes('GCN_PRELIM_SENT'));
    assert.match(
      JSON.stringify(overRest.alert),
      /<console>\/gracedb\/superevents\/<id0>\/view\//,
      "the alert's urls.gracedb is the console's page",
    );
  });
});
