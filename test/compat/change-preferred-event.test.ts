// GWCelery's Change Preferred Event over HTTP (real console process, real worker, embedded GraceDB), at its new path and
// the old one: GET 405; the GraceDB look-ups' refusals as field errors with nothing queued; the chain's preferred event
// and t_0, the pipeline-preferred event made (with GWCelery's log) only when needed, no alert; the refusal from a terminal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { listAlerts } from '../../src/alerts/outbox.js';
import { listAudit } from '../../src/audit/audit-log.js';
import type { EventRecord } from '../../src/gracedb/index.js';
import { formStack, withFormClient, type FormStack } from './form-client.js';
import { startProcesses } from '../helpers/real-processes.js';
import { comments, groupedEvent, mockSuperevent } from './superevent-fixtures.js';

const FORM = 'change_preferred_event';
const OLD_PATH = 'change_prefered_event';

describe('change_preferred_event (GWCelery compatibility)', () => {
  let stack: FormStack;
  let sid: string;
  let gstlal: EventRecord;
  let pycbc: EventRecord;

  before(async () => {
    stack = withFormClient(await startProcesses(formStack()));
    const mock = await mockSuperevent(stack);
    [sid, gstlal] = [mock.sid, mock.preferred];
    pycbc = await groupedEvent(stack, sid, 'pycbc', 0.25);
    assert.equal((await stack.services.gracedb.getSuperevent(sid)).preferred_event, gstlal.graceid, 'frozen by EM_Selected');
  });
  after(async () => {
    await stack?.stop();
  });

  test('GET is 405 at both paths', async () => {
    await stack.assertGetRefused(FORM);
    await stack.assertGetRefused(OLD_PATH);
  });

  test('an event or superevent GraceDB does not know: "No change performed. GraceDB query for X returned error code 404.", nothing queued', async () => {
    const before = await stack.jobCount();
    const noEvent = await stack.post(FORM, { superevent_id: sid, event_id: 'M9999' });
    assert.equal(noEvent.status, 422);
    assert.deepEqual(noEvent.body.fields, { event_id: 'No change performed. GraceDB query for M9999 returned error code 404.' });
    const noSuperevent = await stack.post(OLD_PATH, { superevent_id: 'MS991231z', event_id: pycbc.graceid });
    assert.equal(noSuperevent.status, 422);
    assert.deepEqual(noSuperevent.body.fields, {
      superevent_id: 'No change performed. GraceDB query for MS991231z returned error code 404.',
    });
    const empty = await stack.post(FORM, {});
    assert.equal(empty.status, 422);
    assert.deepEqual(Object.keys(empty.body.fields as object).sort(), ['event_id', 'superevent_id']);
    assert.equal(await stack.jobCount(), before, 'nothing queued');
    assert.equal((await stack.services.gracedb.getSuperevent(sid)).preferred_event, gstlal.graceid, 'nothing changed');
  });

  test('an event that is not its pipeline’s preferred event: preferred event, t_0, pipeline-preferred event (logged), no alert', async () => {
    const { gracedb, redis } = stack.services;
    assert.equal((await gracedb.getSuperevent(sid)).pipeline_preferred_events.pycbc, undefined);
    const task = await stack.completed(FORM, { superevent_id: sid, event_id: pycbc.graceid });
    assert.deepEqual(
      task.steps.map((step) => step.task),
      ['gwqueue.tasks.gracedb.upload', 'gwqueue.tasks.superevents.set_preferred_event', 'gwqueue.tasks.orchestrator.preliminary_alert'],
    );
    const superevent = await gracedb.getSuperevent(sid);
    assert.equal(superevent.preferred_event, pycbc.graceid);
    assert.equal(superevent.t_0, pycbc.gpstime, "t_0 is the event's gpstime");
    assert.equal(superevent.pipeline_preferred_events.pycbc?.graceid, pycbc.graceid);
    assert.equal(superevent.pipeline_preferred_events.gstlal?.graceid, gstlal.graceid, 'the other pipeline keeps its own');
    const logs = await gracedb.getLogs(sid);
    const said = logs.map((entry) => entry.comment);
    const asked = said.indexOf(`User robot queued a preferred event change to ${pycbc.graceid}.`);
    const manual = said.indexOf(`Manual update of preferred event triggered update of pycbc-preferred event to ${pycbc.graceid}`);
    assert.ok(asked >= 0 && manual > asked, said.join('\n'));
    assert.deepEqual(logs[asked].tag_names, ['em_follow']);
    assert.deepEqual(logs[manual].tag_names, ['em_follow']);
    assert.equal((task.result as { sent: boolean }).sent, false);
    assert.ok(!superevent.labels.includes('GCN_PRELIM_SENT'));
    assert.deepEqual(await listAlerts(redis, stack.config, { supereventId: sid }), [], 'no alert sent');
  });

  test('the old path: back to an event that already is its pipeline’s preferred event, so no pipeline-preferred change', async () => {
    const { gracedb } = stack.services;
    const before = (await comments(stack, sid)).filter((comment) => comment.startsWith('Manual update of preferred event')).length;
    const task = await stack.completed(OLD_PATH, { superevent_id: sid, event_id: gstlal.graceid });
    const superevent = await gracedb.getSuperevent(sid);
    assert.equal(superevent.preferred_event, gstlal.graceid);
    assert.equal(superevent.t_0, gstlal.gpstime);
    assert.equal(superevent.pipeline_preferred_events.gstlal?.graceid, gstlal.graceid);
    const said = await comments(stack, sid);
    assert.ok(said.includes(`User robot queued a preferred event change to ${gstlal.graceid}.`));
    assert.equal(
      said.filter((comment) => comment.startsWith('Manual update of preferred event')).length,
      before,
      'no pipeline-preferred change',
    );
    // One form behind both paths: audited under its one name.
    const audit = await listAudit(stack.services.redis, stack.config, { action: 'form.change_preferred_event', limit: 100 });
    assert.ok(audit.entries.some((entry) => entry.taskId === task.id && entry.outcome === 'accepted'));
  });

  test('gwqueue chain change_preferred_event: GraceDB’s refusal is one line and exit 64, nothing queued; the old name works too', async () => {
    const env = { REDIS_URL: stack.config.redis.url!, GWQUEUE_PREFIX: stack.config.prefix, GWQUEUE_ENV: 'test' };
    const before = await stack.jobCount();
    const refused = await runCli(['chain', FORM, `superevent_id=${sid}`, 'event_id=M9999'], env, { timeoutMs: 45_000 });
    assert.equal(refused.code, 64, 'a refused form is bad input (EX_USAGE)');
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /No change performed\. GraceDB query for M9999 returned error code 404\./);
    assert.equal(await stack.jobCount(), before);
    const changed = await runCli(['chain', OLD_PATH, `superevent_id=${sid}`, `event_id=${pycbc.graceid}`, '--wait', '30'], env, {
      timeoutMs: 60_000,
    });
    assert.equal(changed.code, 0, changed.stderr);
    assert.match(changed.stderr, new RegExp(`Changed preferred event for ${sid}\\. Follow it as task [0-9a-f-]{36}\\.`));
    assert.equal((await stack.services.gracedb.getSuperevent(sid)).preferred_event, pycbc.graceid);
  });
});
