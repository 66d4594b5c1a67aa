// A superevent's life through its alerts: the early warning, the advocate's OK (INITIAL) and NO (RETRACTION), each once,
// with its VOEvent; the faults (a second verdict, a verdict without a preliminary alert, a run stopped mid-alert).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../helpers/eventually.js';
import { listAlerts, type OutboxEntry } from '../../src/alerts/outbox.js';
import { alertProblems } from '../../src/alerts/schema.js';
import { runAsTask } from '../../src/queue/current-task.js';
import type { TaskContext } from '../../src/queue/registry.js';
import type { EmbeddedGraceDb, GraceDb } from '../../src/gracedb/index.js';
import { handleSupereventLabel, initialAlert, retractionAlert, updateAlert } from '../../src/tasks/orchestrator.js';
import type { Services } from '../../src/tasks/services.js';
import { comments, filesIn } from './gracedb-logs.js';
import { DOMAIN_SETTINGS, startInProcess, startInProcessPerTest, type InProcess, mockSuperevent } from '../helpers/in-process.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

interface Mock {
  graceid: string;
  superevent_id: string;
}

/** The embedded store behind the services' once-per-task wrapper (sign-offs are not part of the GraceDb interface). */
function store(domain: InProcess): EmbeddedGraceDb {
  return domain.services.gracedb as EmbeddedGraceDb;
}

async function alertsOf(domain: InProcess, sid: string): Promise<OutboxEntry[]> {
  return (await listAlerts(domain.services.redis, domain.config, { supereventId: sid, count: 100 })).reverse();
}

function types(entries: OutboxEntry[]): string[] {
  return entries.map((entry) => entry.alert_type);
}

async function voeventFiles(domain: InProcess, sid: string): Promise<string[]> {
  return (await domain.services.gracedb.getVoevents(sid)).map((voevent) => voevent.filename);
}

/** A mock event grouped and complete (EM_READY on its superevent), then its preliminary alert sent by the form. */
async function announced(domain: InProcess): Promise<Mock> {
  const mock = await mockSuperevent<Mock>(domain);
  const sent = (await domain.runChain('send_preliminary_gcn', { superevent_id: mock.superevent_id, event_id: mock.graceid })) as {
    sent: boolean;
  };
  assert.equal(sent.sent, true);
  return mock;
}

function asTask<T>(id: string, fn: () => Promise<T>): Promise<T> {
  const context: TaskContext = {
    id,
    name: 'gwqueue.tasks.orchestrator.handle_label',
    queue: 'kafka',
    attempt: 1,
    worker: 'w@test',
    hostname: 'test',
    submittedAt: Date.now(),
    log: async () => {},
  };
  return runAsTask(context, fn);
}

describe('the alert lifecycle', () => {
  const engines = startInProcessPerTest({ env: DOMAIN_SETTINGS, workers: [{}], services: true });

  test('an EarlyWarning mock event: its superevent is labelled EARLY_WARNING and sends one EARLYWARNING alert with its VOEvent', async () => {
    const domain = await engines.start();
    const { gracedb } = domain.services;
    const mock = (await domain.runChain('send_mock_event', { search: 'earlywarning' })) as Mock & { search: string };
    assert.equal(mock.search, 'EarlyWarning', 'the choice is taken case-insensitively, in its own spelling');
    const event = await gracedb.getEvent(mock.graceid);
    assert.deepEqual([event.search, event.labels.includes('EARLY_WARNING')], ['EarlyWarning', true]);
    assert.match(mock.superevent_id, /^S\d{6}[a-z]+$/, 'an early-warning search is a production search');
    const [alert] = await eventually(
      async () => {
        const found = await alertsOf(domain, mock.superevent_id);
        return found.length ? found : undefined;
      },
      15_000,
      'the EARLYWARNING alert',
    );
    assert.equal(alert.alert_type, 'EARLYWARNING');
    assert.deepEqual(alertProblems(alert.payload), []);
    assert.equal(alert.payload.event?.significant, true, 'an early warning that passes its own FAR threshold is significant');
    assert.equal(alert.payload.event?.search, 'EarlyWarning');
    // The circular draft is the alert task's last step: everything before it is done then.
    await eventually(
      async () => filesIn(await gracedb.getLogs(mock.superevent_id)).has('earlywarning-circular.txt'),
      10_000,
      'the early-warning circular draft',
    );
    const superevent = await gracedb.getSuperevent(mock.superevent_id);
    for (const label of ['EARLY_WARNING', 'EM_Selected', 'ADVREQ', 'GCN_PRELIM_SENT']) assert.ok(superevent.labels.includes(label), label);
    assert.deepEqual(await voeventFiles(domain, mock.superevent_id), [`${mock.superevent_id}-1-EarlyWarning.xml`]);
    assert.equal(types(await alertsOf(domain, mock.superevent_id)).length, 1);
  });

  test('the search field refuses a search mock events do not make, naming the choices', async () => {
    const domain = await engines.start();
    await assert.rejects(domain.runChain('send_mock_event', { search: 'GRB' }), /search must be one of MDC, AllSky, EarlyWarning, SSM/);
  });

  test('ADVOK sends INITIAL once, ADVNO then RETRACTION once; a second verdict and a verdict after the retraction send nothing', async () => {
    const domain = await engines.start();
    const { gracedb } = domain.services;
    const { superevent_id: sid } = await announced(domain);

    await store(domain).alertRecords.signoff(sid, { signoff_type: 'ADV', status: 'OK', comment: 'looks good' });
    const initial = await eventually(
      async () => (await alertsOf(domain, sid)).find((entry) => entry.alert_type === 'INITIAL'),
      15_000,
      'INITIAL',
    );
    assert.deepEqual(alertProblems(initial.payload), []);
    assert.ok(initial.payload.event?.skymap, 'the INITIAL alert carries the latest public sky map');
    assert.ok(Object.keys(initial.payload.event?.classification ?? {}).length, 'and p_astro');
    assert.ok(Object.keys(initial.payload.event?.properties ?? {}).length, 'and em_bright');
    await eventually(async () => filesIn(await gracedb.getLogs(sid)).has('initial-circular.txt'), 10_000, 'the initial circular draft');
    assert.deepEqual(await voeventFiles(domain, sid), [`${sid}-1-Preliminary.xml`, `${sid}-2-Initial.xml`]);

    // The label applied again: one job stands for the superevent and its label, and the task itself refuses a second INITIAL.
    await gracedb.createLabel('ADVOK', sid);
    const again = await handleSupereventLabel(domain.services, sid, 'ADVOK');
    assert.equal(again.alert?.sent, false);
    assert.match(again.alert?.reason ?? '', /INITIAL alert of .* was sent already/);
    assert.deepEqual(types(await alertsOf(domain, sid)), ['PRELIMINARY', 'INITIAL']);

    // NO after OK: GWCelery retracts.
    await store(domain).alertRecords.signoff(sid, { signoff_type: 'ADV', status: 'NO' });
    const retraction = await eventually(
      async () => (await alertsOf(domain, sid)).find((entry) => entry.alert_type === 'RETRACTION'),
      15_000,
      'RETRACTION',
    );
    assert.equal(retraction.payload.event, null, 'a retraction carries no event');
    assert.equal(retraction.payload.external_coinc, null);
    assert.deepEqual(alertProblems(retraction.payload), []);
    await eventually(async () => (await voeventFiles(domain, sid)).length === 3, 10_000, 'the RETRACTION VOEvent');
    assert.equal((await voeventFiles(domain, sid))[2], `${sid}-3-Retraction.xml`);
    await eventually(
      async () => filesIn(await gracedb.getLogs(sid)).has('retraction-circular.txt'),
      10_000,
      'the retraction circular draft',
    );

    for (const label of ['ADVNO', 'ADVOK']) {
      const late = await handleSupereventLabel(domain.services, sid, label);
      assert.equal(late.alert?.sent, false, label);
      assert.match(late.alert?.reason ?? '', /was retracted already/, label);
    }
    const update = await updateAlert(domain.services, ['bayestar.multiorder.fits,0', 'em_bright.json,0', 'p_astro.json,0'], sid);
    assert.deepEqual([update.sent, update.reason], [false, `${sid} was retracted`]);
    assert.deepEqual(types(await alertsOf(domain, sid)), ['PRELIMINARY', 'INITIAL', 'RETRACTION']);
    assert.ok(comments(await gracedb.getLogs(sid)).some((text) => /^No RETRACTION alert sent: .* was retracted already\.$/.test(text)));
  });

  for (const exposeToPublic of [false, true]) {
    test(`GWQUEUE_EXPOSE_TO_PUBLIC=${exposeToPublic}: a public alert exposes its superevent first; an internal one leaves it hidden`, async () => {
      const domain = await engines.start({ GWQUEUE_EXPOSE_TO_PUBLIC: String(exposeToPublic) });
      const { superevent_id: sid } = await announced(domain);
      const [entry] = await alertsOf(domain, sid);
      assert.equal(entry.public, exposeToPublic);
      const permissions = await store(domain).alertRecords.getPermissions(sid);
      assert.equal(
        permissions.some((row) => row.group === 'public_users'),
        exposeToPublic,
      );
    });
  }

  test('a sign-off on a superevent that never sent a preliminary alert sends nothing, and says why on the superevent', async () => {
    const domain = await engines.start();
    const { gracedb } = domain.services;
    const mock = (await domain.runChain('send_mock_event')) as Mock;
    for (const label of ['ADVOK', 'ADVNO']) {
      const outcome = await handleSupereventLabel(domain.services, mock.superevent_id, label);
      assert.equal(outcome.alert?.sent, false);
      assert.match(outcome.alert?.reason ?? '', /never sent a preliminary alert/);
    }
    assert.deepEqual(await alertsOf(domain, mock.superevent_id), []);
    assert.deepEqual(await voeventFiles(domain, mock.superevent_id), []);
    const said = comments(await gracedb.getLogs(mock.superevent_id));
    assert.ok(
      said.some((text) => /^No INITIAL alert sent: .* never sent a preliminary alert/.test(text)),
      said.join('\n'),
    );
  });

  test('a run stopped between the outbox and GraceDB: the run made again sends nothing more and records the VOEvent once', async () => {
    const domain = await engines.start();
    const { gracedb } = domain.services;
    const { superevent_id: sid } = await announced(domain);
    // The first run's worker "dies" right after the alert entered the outbox: its VOEvent write never happens.
    const dying: Services = {
      ...domain.services,
      gracedb: new Proxy(gracedb, {
        get(target, property, receiver) {
          if (property === 'createVoevent') return () => Promise.reject(new Error('worker killed'));
          return Reflect.get(target, property, receiver) as unknown;
        },
      }) as GraceDb,
    };
    await assert.rejects(
      asTask('initial-run', () => initialAlert(dying, sid)),
      /worker killed/,
    );
    assert.deepEqual(types(await alertsOf(domain, sid)), ['PRELIMINARY', 'INITIAL']);
    const second = await asTask('initial-run', () => initialAlert(domain.services, sid));
    assert.equal(second.sent, true);
    assert.equal(second.repeated, true, 'the outbox already had it');
    assert.deepEqual(types(await alertsOf(domain, sid)), ['PRELIMINARY', 'INITIAL'], 'not sent twice');
    assert.deepEqual(await voeventFiles(domain, sid), [`${sid}-1-Preliminary.xml`, `${sid}-2-Initial.xml`]);
    const copies = (await gracedb.getLogs(sid)).filter((entry) => entry.filename === `${sid}-initial.json`);
    assert.equal(copies.length, 1, 'one copy of the alert in the log');
    // Another task (the label applied again after its job was removed) finds it sent.
    const other = await asTask('another-run', () => initialAlert(domain.services, sid));
    assert.equal(other.sent, false);
    assert.deepEqual(types(await alertsOf(domain, sid)), ['PRELIMINARY', 'INITIAL']);
  });

  test('a run stopped after the VOEvent, before the circular: the run made again uploads the circular, sends nothing more', async () => {
    const domain = await engines.start();
    const { gracedb } = domain.services;
    const { superevent_id: sid } = await announced(domain);
    const dying: Services = {
      ...domain.services,
      gracedb: new Proxy(gracedb, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown;
          if (property !== 'writeLog') return value;
          return (objectId: string, comment: string, options?: { filename?: string }) =>
            options?.filename === 'retraction-circular.txt'
              ? Promise.reject(new Error('worker killed'))
              : (value as GraceDb['writeLog'])(objectId, comment, options);
        },
      }) as GraceDb,
    };
    await asTask('initial-run', () => initialAlert(domain.services, sid));
    await assert.rejects(
      asTask('retraction-run', () => retractionAlert(dying, sid)),
      /worker killed/,
    );
    assert.deepEqual(await voeventFiles(domain, sid), [`${sid}-1-Preliminary.xml`, `${sid}-2-Initial.xml`, `${sid}-3-Retraction.xml`]);
    const again = await asTask('retraction-run', () => retractionAlert(domain.services, sid));
    assert.deepEqual([again.sent, again.repeated], [true, true], 'the run made again finishes, it is not refused as retracted');
    assert.ok(filesIn(await gracedb.getLogs(sid)).has('retraction-circular.txt'));
    assert.deepEqual(types(await alertsOf(domain, sid)), ['PRELIMINARY', 'INITIAL', 'RETRACTION']);
    assert.equal((await voeventFiles(domain, sid)).length, 3);
    assert.ok(!comments(await gracedb.getLogs(sid)).some((text) => text.startsWith('No RETRACTION alert sent')));
  });
});

describe('the alert lifecycle across a Redis restart', () => {
  let redis: TestRedis;
  let domain: InProcess;
  before(async () => {
    // Append-only, as production runs it: what Redis answered survives its kill.
    redis = await startRedis({ appendOnly: true });
    domain = await startInProcess({ redis, env: DOMAIN_SETTINGS, workers: [{}], services: true });
  });
  after(async () => {
    await domain?.stop();
    await redis?.stop();
  });

  test("Redis killed between the advocate's OK and its alert: the INITIAL alert is sent once when Redis is back", async () => {
    const { superevent_id: sid } = await announced(domain);
    const kafka = domain.engine.client.queue('kafka');
    // The alert's task waits in its queue while Redis is killed: the sign-off is done, the alert not yet sent.
    await kafka.pause();
    await store(domain).alertRecords.signoff(sid, { signoff_type: 'ADV', status: 'OK' });
    const waiting = await kafka.getJobs(['waiting', 'paused']);
    assert.deepEqual(
      waiting.filter((job) => job.name === 'gwqueue.tasks.orchestrator.handle_label').map((job) => (job.data as { args: unknown[] }).args),
      [[sid, 'ADVOK']],
    );
    await redis.kill();
    await redis.restart();
    await eventually(
      async () =>
        await kafka
          .resume()
          .then(() => true)
          .catch(() => false),
      30_000,
      'the queue resumed',
    );
    await eventually(async () => (await voeventFiles(domain, sid)).length === 2, 30_000, 'the INITIAL alert and its VOEvent');
    assert.deepEqual(types(await alertsOf(domain, sid)), ['PRELIMINARY', 'INITIAL']);
    assert.deepEqual(await voeventFiles(domain, sid), [`${sid}-1-Preliminary.xml`, `${sid}-2-Initial.xml`]);
    const labels = (await domain.services.gracedb.getSuperevent(sid)).labels;
    assert.ok(labels.includes('ADVOK') && !labels.includes('ADVREQ'), labels.join());
  });
});
