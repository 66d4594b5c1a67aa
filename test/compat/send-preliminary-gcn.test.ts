// GWCelery's Preliminary alert form over HTTP (real console process, real worker, embedded GraceDB): GET 405; an event
// GraceDB does not know refused with "No action performed. GraceDB query for E returned error code 404." and nothing
// queued; the chain sets t_0 with the preferred event and sends the PRELIMINARY alert.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { listAlerts } from '../../src/alerts/outbox.js';
import { gpsToDate, type EventRecord } from '../../src/gracedb/index.js';
import { formStack, withFormClient, type FormStack } from './form-client.js';
import { startProcesses } from '../helpers/real-processes.js';
import { comments, mockSuperevent } from './superevent-fixtures.js';

const FORM = 'send_preliminary_gcn';

describe('send_preliminary_gcn (GWCelery compatibility)', () => {
  let stack: FormStack;
  let sid: string;
  let preferred: EventRecord;

  before(async () => {
    stack = withFormClient(await startProcesses(formStack()));
    ({ sid, preferred } = await mockSuperevent(stack));
  });
  after(async () => {
    await stack?.stop();
  });

  test('GET is 405', async () => {
    await stack.assertGetRefused(FORM);
  });

  test('no data: every field named; an unknown event: GWCelery’s refusal; nothing queued either way', async () => {
    const before = await stack.jobCount();
    const empty = await stack.post(FORM, {});
    assert.equal(empty.status, 422);
    assert.deepEqual(Object.keys(empty.body.fields as object).sort(), ['event_id', 'superevent_id']);
    const unknown = await stack.post(FORM, { superevent_id: sid, event_id: 'M9999' });
    assert.equal(unknown.status, 422);
    assert.deepEqual(unknown.body.fields, { event_id: 'No action performed. GraceDB query for M9999 returned error code 404.' });
    assert.equal(await stack.jobCount(), before, 'nothing queued');
    const env = { REDIS_URL: stack.config.redis.url!, GWQUEUE_PREFIX: stack.config.prefix, GWQUEUE_ENV: 'test' };
    const cli = await runCli(['chain', FORM, `superevent_id=${sid}`, 'event_id=M9999'], env, { timeoutMs: 45_000 });
    assert.equal(cli.code, 64, 'a refused form is bad input (EX_USAGE)');
    assert.match(cli.stderr.trim(), /^gwqueue: .*No action performed\. GraceDB query for M9999 returned error code 404\.$/);
    assert.equal(await stack.jobCount(), before, 'nothing queued from the terminal either');
  });

  test('accepted: t_0 set to the event’s gpstime together with the preferred event, the PRELIMINARY alert sent', async () => {
    const { gracedb, redis } = stack.services;
    // Move t_0 away first, as a later event of the superevent would have.
    await gracedb.updateSuperevent(sid, { t_0: (preferred.gpstime ?? 0) + 0.5 });
    const task = await stack.completed(FORM, { superevent_id: sid, event_id: preferred.graceid });
    assert.deepEqual(
      task.steps.map((step) => step.task),
      ['gwqueue.tasks.gracedb.upload', 'gwqueue.tasks.superevents.set_preferred_event', 'gwqueue.tasks.orchestrator.preliminary_alert'],
    );
    const superevent = await gracedb.getSuperevent(sid);
    assert.equal(superevent.preferred_event, preferred.graceid);
    assert.equal(superevent.t_0, preferred.gpstime);
    assert.ok(superevent.labels.includes('GCN_PRELIM_SENT'));
    const said = await comments(stack, sid);
    assert.ok(said.includes('User robot queued a Preliminary alert through the dashboard.'));
    assert.ok(
      said.includes(`Updated superevent parameters: t_0: ${(preferred.gpstime ?? 0) + 0.5} -> ${preferred.gpstime}`),
      said.join('\n'),
    );
    const alerts = await listAlerts(redis, stack.config, { supereventId: sid });
    assert.deepEqual(
      alerts.map((alert) => alert.payload.alert_type),
      ['PRELIMINARY'],
    );
    // The alert's time is the superevent's t_0, now the chosen event's.
    assert.equal(alerts[0].payload.event?.time, gpsToDate(preferred.gpstime!).toISOString());
  });
});
