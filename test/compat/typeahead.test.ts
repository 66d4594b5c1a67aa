// GWCelery's typeahead over HTTP against a real console and the embedded GraceDB: a partial superevent ID becomes a t_0
// range (ID order, at most 8, case as typed), nothing typed means the last week, an event list is best (lowest FAR) first.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { createConsoleGraceDb } from '../../src/web/context.js';
import { dateToGps } from '../../src/gracedb/gps-time.js';
import type { GraceDb, SupereventCategory } from '../../src/gracedb/index.js';

const DAY = 86_400_000;

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  assert.equal(response.status, 200, `${url} answered ${response.status}`);
  return response.json();
}

describe('typeahead as GWCelery (over HTTP)', () => {
  let stack: InProcess;
  let gracedb: GraceDb;
  let base: string;
  let recentId: string;
  let eventsBest: string[];
  let eventsSuperevent: string;

  /** One event and its superevent at `when`; returns the superevent ID. */
  async function superevent(when: Date, category: SupereventCategory, far = 1e-8, snr = 9): Promise<string> {
    const gpstime = dateToGps(when);
    const event = await gracedb.createEvent({
      group: category === 'test' ? 'Test' : 'CBC',
      pipeline: 'gstlal',
      search: category === 'mdc' ? 'MDC' : 'AllSky',
      filename: 'coinc.json',
      filecontents: JSON.stringify({ gpstime, far, instruments: 'H1,L1', extra_attributes: { CoincInspiral: { snr } } }),
    });
    const created = await gracedb.createSuperevent({
      t_start: gpstime - 1,
      t_0: gpstime,
      t_end: gpstime + 1,
      preferred_event: event.graceid,
      category,
    });
    return created.superevent_id;
  }

  before(async () => {
    stack = await startInProcess({ listen: true });
    gracedb = createConsoleGraceDb(stack.engine.config, stack.engine.client.redis).gracedb;
    base = stack.web.url;
    // Ten MDC days of February 2019, made latest day first: creation order is the reverse of ID order.
    for (let day = 10; day >= 1; day--) await superevent(new Date(Date.UTC(2019, 1, day, 12)), 'mdc');
    // A second superevent on 5 February (suffix b), and one on 1 March, outside "MS1902".
    await superevent(new Date(Date.UTC(2019, 1, 5, 18)), 'mdc');
    await superevent(new Date(Date.UTC(2019, 2, 1, 6)), 'mdc');
    // Production: one two days ago, one three weeks ago.
    recentId = await superevent(new Date(Date.now() - 2 * DAY), 'production');
    await superevent(new Date(Date.now() - 21 * DAY), 'production');
    await superevent(new Date(Date.UTC(2019, 1, 3, 12)), 'test');

    // A superevent with three events of different significance.
    const t0 = dateToGps(new Date(Date.UTC(2023, 4, 17, 3)));
    const make = (pipeline: string, far: number, snr: number, dt: number) =>
      gracedb.createEvent({
        group: 'CBC',
        pipeline,
        search: 'AllSky',
        filename: 'coinc.json',
        filecontents: JSON.stringify({ gpstime: t0 + dt, far, instruments: 'H1,L1,V1', extra_attributes: { CoincInspiral: { snr } } }),
      });
    const loud = await make('pycbc', 3e-12, 25.5, 0.01);
    const middling = await make('MBTA', 2e-9, 11.2, 0.02);
    const quiet = await make('gstlal', 5e-7, 8.1, 0.03);
    // The preferred event is the middling one: the list is by FAR, not preferred first.
    const created = await gracedb.createSuperevent({
      t_start: t0 - 1,
      t_0: t0,
      t_end: t0 + 1,
      preferred_event: middling.graceid,
      events: [quiet.graceid, loud.graceid],
    });
    eventsSuperevent = created.superevent_id;
    eventsBest = [loud.graceid, middling.graceid, quiet.graceid];
  });
  after(async () => {
    await stack?.stop();
  });

  const superevents = (term: string) => getJson(`${base}/typeahead_superevent_id?superevent_id=${encodeURIComponent(term)}`);

  test('MS1902: the first eight of the month in superevent-ID order, not creation order', async () => {
    assert.deepEqual(await superevents('MS1902'), [
      'MS190201a',
      'MS190202a',
      'MS190203a',
      'MS190204a',
      'MS190205a',
      'MS190205b',
      'MS190206a',
      'MS190207a',
    ]);
    assert.deepEqual(await superevents('ms1902'), await superevents('MS1902'), 'case does not matter, as in GWCelery');
  });

  test('narrower prefixes, suffixes and categories', async () => {
    assert.deepEqual(await superevents('MS190205'), ['MS190205a', 'MS190205b']);
    assert.deepEqual(await superevents('MS190205b'), ['MS190205b']);
    assert.deepEqual(await superevents('MS19021'), ['MS190210a'], 'the tens of days: 10 to 19 February');
    assert.deepEqual(await superevents('MS1903'), ['MS190301a']);
    assert.deepEqual(await superevents('TS1902'), ['TS190203a'], 'T: test superevents');
    assert.deepEqual(await superevents('S1902'), [], 'no production superevents in February 2019');
    const all = (await superevents('MS')) as string[];
    assert.equal(all.length, 8, 'at most eight');
    assert.equal(all[0], 'MS190201a');
  });

  test('an impossible date answers [] at once', async () => {
    for (const term of ['MS190235', 'MS1913', 'S240230']) assert.deepEqual(await superevents(term), [], term);
  });

  test('nothing typed, or text that is no superevent ID: the last seven days of production superevents', async () => {
    assert.deepEqual(await superevents(''), [recentId]);
    assert.deepEqual(await superevents('G123'), [recentId]);
  });

  test("a superevent's events, lowest FAR first, each with group, pipeline, SNR and FAR", async () => {
    const events = (await getJson(`${base}/typeahead_event_id?superevent_id=${eventsSuperevent}`)) as Array<Record<string, unknown>>;
    assert.deepEqual(
      events.map((event) => event.graceid),
      eventsBest,
    );
    assert.deepEqual(
      events.map((event) => [event.group, event.pipeline, event.snr, event.far]),
      [
        ['CBC', 'pycbc', 25.5, 3e-12],
        ['CBC', 'MBTA', 11.2, 2e-9],
        ['CBC', 'gstlal', 8.1, 5e-7],
      ],
    );
    assert.equal(events[1].preferred, true, 'the preferred event is marked, not moved to the top');
  });
});
