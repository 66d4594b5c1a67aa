// /create_medium_latency_gcn_circular over HTTP with a real worker and the embedded GraceDB: the circular from PyGRB and
// X-Pipeline results on an external GRB trigger (exclusion and detection), the clear refusals (no results, not a GRB, an
// empty field, GET), mock results for an MDC trigger, and `gwqueue chain` for the form (the real CLI over dist/).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { createConsoleGraceDb } from '../../src/web/context.js';
import { dateToGps, type GraceDb } from '../../src/gracedb/index.js';
import { grbVoEvent, uploadGrbNotice } from '../../src/tasks/external-triggers.js';
import { uploadMockGrbSearchResults } from '../../src/tasks/grb-searches.js';
import { createMediumLatencyCircular } from '../../src/tasks/medium-latency-circular.js';
import { registeredQueues } from '../../src/queue/registry.js';

const TOKEN = 'compat-medium-latency-0123456789';
const FORM = '/create_medium_latency_gcn_circular';

interface TaskAnswer {
  state: string;
  result: { ext_event_id: string; subject: string; body: string; text: string } | null;
  error: { message: string } | null;
}

describe('create_medium_latency_gcn_circular (over HTTP, real worker)', () => {
  let stack: InProcess;
  let gracedb: GraceDb;
  let base: string;
  let env: Record<string, string>;
  const t0 = dateToGps(new Date(Date.UTC(2024, 4, 20, 14, 3, 7)));

  /** A Fermi trigger as GraceDB holds a GCN notice: External group, search `search`, TrigID from the notice. */
  async function trigger(search: string, gpstime = t0): Promise<string> {
    const notice = grbVoEvent({ gpstime, ra: 120.5, dec: -33.25, errorRadius: 4.2, observatory: 'Fermi', mdc: search === 'MDC' });
    return (await uploadGrbNotice(gracedb, notice, search)).graceid;
  }

  /** As PyGRB and X-Pipeline upload their results: JSON files on the external event. */
  async function upload(extId: string, filename: string, content: object): Promise<void> {
    await gracedb.writeLog(extId, `${filename} from the search`, { filename, filecontents: JSON.stringify(content) });
  }

  async function submit(fields: Record<string, string>): Promise<Response> {
    return fetch(base + FORM, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** Jobs on every queue, all states: a refused submission adds none. */
  async function jobCount(): Promise<number> {
    const all = await Promise.all(registeredQueues().map((queue) => stack.engine.client.queue(queue).getJobCounts()));
    return all.flatMap((counts) => Object.values(counts)).reduce((sum, n) => sum + n, 0);
  }

  /** Submits the form and waits (bounded) for its task to finish. */
  async function circularFor(extId: string): Promise<TaskAnswer> {
    const response = await submit({ ext_event_id: extId });
    assert.ok(response.status < 300, `${response.status} ${await response.clone().text()}`);
    const { url } = (await response.json()) as { url: string };
    let task: TaskAnswer | undefined;
    await eventually(
      async () => {
        task = (await (await fetch(`${base}${url.replace('/tasks/', '/api/tasks/')}?wait=10`)).json()) as TaskAnswer;
        return task.state === 'completed' || task.state === 'failed';
      },
      60_000,
      'the task to finish',
      0,
    ).catch((error: Error) => {
      throw new Error(`${error.message}: task still ${task?.state}`);
    });
    return task!;
  }

  before(async () => {
    stack = await startInProcess({
      listen: true,
      env: { GWQUEUE_API_TOKENS: `robot=${TOKEN}` },
      workers: [{ name: 'circular@test' }],
      services: true,
    });
    gracedb = createConsoleGraceDb(stack.engine.config, stack.engine.client.redis).gracedb;
    base = stack.web.url;
    env = { REDIS_URL: stack.redis.url, GWQUEUE_PREFIX: stack.engine.config.prefix, GWQUEUE_ENV: 'test' };
  });
  after(async () => {
    await stack?.stop();
  });

  test('GET is 405; an empty or malformed ext_event_id is a 422 naming the field, and nothing is queued', async () => {
    const jobsBefore = await jobCount();
    const get = await fetch(base + FORM);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    for (const [fields, why] of [
      [{}, 'is required'],
      [{ ext_event_id: 'G123' }, 'must look like E123456'],
    ] as const) {
      const response = await submit(fields);
      assert.equal(response.status, 422);
      const body = (await response.json()) as { fields: Record<string, string> };
      assert.match(body.fields.ext_event_id, new RegExp(why));
    }
    assert.equal(await jobCount(), jobsBefore, 'nothing was queued');
  });

  test('no detection: both searches, their false alarm probabilities and exclusion distances', async () => {
    const extId = await trigger('GRB');
    await upload(extId, 'false_alarm_probability_pygrb.json', { 'Online PyGRB': 0.2346 });
    await upload(extId, 'distances_pygrb.json', { 'NSNS Exclusion': 87.64, 'NSBH Exclusion': 164.2 });
    await upload(extId, 'false_alarm_probability_x.json', { 'Online Xpipeline': 0.41 });
    await upload(extId, 'distances_x.json', { 'Burst Exclusion': 31.3 });
    const task = await circularFor(extId);
    assert.equal(task.state, 'completed', task.error?.message);
    const { subject, text, ext_event_id } = task.result!;
    assert.equal(ext_event_id, extId);
    const trigId = String(Math.floor(t0));
    assert.match(subject, new RegExp(`Fermi trigger ${trigId}$`));
    assert.ok(text.startsWith(`SUBJECT: ${subject}\n\n`));
    for (const expected of [
      `(GraceDB ${extId})`,
      '2024-05-20 14:03:07 UTC',
      'PyGRB [1] and X-Pipeline [2]',
      'false alarm probability of 0.235',
      'binary neutron star merger closer than 88 Mpc',
      'neutron star–black hole merger closer than 164 Mpc',
      'false alarm probability of 0.41',
      'closer than 31 Mpc',
      '[1] PyGRB: Williamson et al.',
      '[2] X-Pipeline: Sutton et al.',
    ]) {
      assert.ok(text.includes(expected), `"${expected}" in:\n${text}`);
    }
  });

  test('a PyGRB detection (FAP below 0.01) needs no distances; only the searches that reported are named', async () => {
    const extId = await trigger('GRB', t0 + 86_400);
    await upload(extId, 'false_alarm_probability_pygrb.json', { 'Online PyGRB': 0.004 });
    const task = await circularFor(extId);
    assert.equal(task.state, 'completed', task.error?.message);
    const { subject, text } = task.result!;
    assert.match(subject, /candidate found$/);
    assert.ok(text.includes('found a candidate with a false alarm probability of 0.004'), text);
    assert.ok(!text.includes('X-Pipeline'), 'X-Pipeline reported nothing');
    assert.ok(!text.includes('Mpc'), 'no exclusion distances with a detection');
  });

  test('clear refusals before queuing (422 on the field, nothing queued); the task itself refuses the same way', async () => {
    const bare = await trigger('GRB', t0 + 2 * 86_400);
    const sub = await trigger('SubGRB', t0 + 4 * 86_400);
    const noResults =
      `No medium-latency circular for ${bare}: GraceDB holds no PyGRB or X-Pipeline results for it yet ` +
      '(neither false_alarm_probability_pygrb.json nor false_alarm_probability_x.json is among its files).';
    const notGrb = new RegExp(
      `^No medium-latency circular for ${sub}: it is a SubGRB Fermi trigger; the circular is written for GRB triggers`,
    );
    const jobsBefore = await jobCount();
    const refusal = async (extId: string) => {
      const response = await submit({ ext_event_id: extId });
      assert.equal(response.status, 422, extId);
      return ((await response.json()) as { fields: Record<string, string> }).fields.ext_event_id;
    };
    assert.equal(await refusal(bare), noResults);
    assert.match(await refusal(sub), notGrb);
    assert.equal(await refusal('E999999'), 'No action performed. GraceDB query for E999999 returned error code 404.');
    assert.equal(await jobCount(), jobsBefore, 'nothing was queued');

    // gwqueue call (no form in front): the task gives the same sentence as its error.
    await assert.rejects((await createMediumLatencyCircular.delay(bare)).get({ timeout: 30 }), (error: Error) => {
      assert.ok(error.message.includes(noResults), error.message);
      return true;
    });
    await assert.rejects((await createMediumLatencyCircular.delay(sub)).get({ timeout: 30 }), /it is a SubGRB Fermi trigger/);

    // Results the form lets through but the task cannot use: a clear failure on the task page.
    const partial = await trigger('GRB', t0 + 3 * 86_400);
    await upload(partial, 'false_alarm_probability_x.json', { 'Online Xpipeline': 0.5 });
    const missing = await circularFor(partial);
    assert.equal(missing.state, 'failed');
    assert.match(missing.error?.message ?? '', /has X-Pipeline's false_alarm_probability_x\.json but not its distances_x\.json/);
  });

  test('mock results on an MDC trigger give a circular; a real GRB trigger never gets mock numbers', async () => {
    const mdc = await trigger('MDC', t0 + 5 * 86_400);
    const numbers = (await (await uploadMockGrbSearchResults.delay(mdc)).get({ timeout: 30 })) as {
      pygrb: { fap: number; distances: { nsns: number } };
      xpipeline: { distances: { burst: number } };
    };
    assert.ok(numbers.pygrb.fap >= 0.05, 'mock results are no detection');
    const task = await circularFor(mdc);
    assert.equal(task.state, 'completed', task.error?.message);
    assert.ok(task.result!.text.includes(`closer than ${Math.round(numbers.pygrb.distances.nsns)} Mpc`), task.result!.text);
    assert.ok(task.result!.text.includes(`closer than ${Math.round(numbers.xpipeline.distances.burst)} Mpc`));

    const real = await trigger('GRB', t0 + 6 * 86_400);
    await assert.rejects(
      uploadMockGrbSearchResults.delay(real).then((result) => result.get({ timeout: 30 })),
      /MDC external triggers only/,
    );
    assert.deepEqual(
      (await gracedb.getLogs(real)).filter((entry) => entry.filename.endsWith('.json')),
      [],
      'nothing uploaded to the real trigger',
    );
  });

  test('gwqueue chain create_medium_latency_gcn_circular: the text on stdout; a refusal is one line and exit 1', async () => {
    const extId = await trigger('GRB', t0 + 7 * 86_400);
    await upload(extId, 'false_alarm_probability_x.json', { 'Online Xpipeline': 0.0002 });
    const done = await runCli(['chain', 'create_medium_latency_gcn_circular', `ext_event_id=${extId}`, '--wait', '30'], env, {
      timeoutMs: 45_000,
    });
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, /Creating the medium-latency GRB circular for E\d+\. Follow it as task [0-9a-f-]{36}\./);
    // The circular as text, as GWCelery hands it back: the subject line, then the body's lines (no JSON, no \n escapes).
    assert.match(done.stdout, /^SUBJECT: LIGO\/Virgo\/KAGRA: search for gravitational waves associated with .*: candidate found\n\n/);
    assert.ok(done.stdout.includes(`(GraceDB ${extId})`), done.stdout);
    assert.ok(done.stdout.includes('X-Pipeline [1], found a candidate with a false alarm probability of 2.0e-4'), done.stdout);
    assert.ok(!done.stdout.includes('\\n') && !done.stdout.startsWith('{'), done.stdout);

    // The task page shows the same text, with its download.
    const id = /Follow it as task ([0-9a-f-]{36})\./.exec(done.stderr)![1];
    const page = await (await fetch(`${base}/tasks/${id}`)).text();
    assert.match(page, /Result: a circular/);
    assert.match(page, new RegExp(`download="${extId}-circular.txt"`));
    const file = await fetch(`${base}/api/tasks/${id}/file`);
    assert.equal(await file.text(), done.stdout);

    const bad = await runCli(['chain', 'create_medium_latency_gcn_circular', 'ext_event_id=S240101a'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr.trim(), /^gwqueue: .*ext_event_id must look like E123456/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });
});
