// GWCelery's Change Pipeline Preferred Event over HTTP (real console process, real worker, embedded GraceDB): GET 405;
// its refusals (GraceDB's 404s, another pipeline's event, the preferred event's pipeline) as field errors with nothing
// queued; the chain's log, pipeline-preferred event and rebuilt (unsent) alert; `gwqueue chain` for it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { listAlerts } from '../../src/alerts/outbox.js';
import type { EventRecord } from '../../src/gracedb/index.js';
import { formStack, withFormClient, type FormStack } from './form-client.js';
import { startProcesses } from '../helpers/real-processes.js';
import { comments, groupedEvent, mockSuperevent } from './superevent-fixtures.js';

const FORM = 'change_pipeline_preferred_event';

describe('change_pipeline_preferred_event (GWCelery compatibility)', () => {
  let stack: FormStack;
  let sid: string;
  let preferred: EventRecord;
  let pycbc: EventRecord;
  let secondPycbc: EventRecord;
  let secondGstlal: EventRecord;

  before(async () => {
    stack = withFormClient(await startProcesses(formStack()));
    const mock = await mockSuperevent(stack);
    [sid, preferred] = [mock.sid, mock.preferred];
    pycbc = await groupedEvent(stack, sid, 'pycbc', 0.2);
    secondPycbc = await groupedEvent(stack, sid, 'pycbc', 0.3);
    secondGstlal = await groupedEvent(stack, sid, 'gstlal', 0.4);
    assert.equal(preferred.pipeline, 'gstlal');
  });
  after(async () => {
    await stack?.stop();
  });

  test('GET is 405', async () => {
    await stack.assertGetRefused(FORM);
  });

  test("GWCelery's refusals, each under its field, nothing queued and nothing changed", async () => {
    const before = await stack.jobCount();
    const cases: [Record<string, string>, Record<string, string>][] = [
      [
        { superevent_id: sid, pipeline: 'pycbc', event_id: 'M9999' },
        { event_id: 'No change performed. GraceDB query for M9999 returned error code 404.' },
      ],
      [
        { superevent_id: sid, pipeline: 'spiir', event_id: pycbc.graceid },
        { event_id: `No change performed. ${pycbc.graceid} was uploaded by pycbc and cannot be the spiir-preferred event.` },
      ],
      [
        { superevent_id: 'MS991231z', pipeline: 'PyCBC', event_id: pycbc.graceid },
        { superevent_id: 'No change performed. GraceDB query for MS991231z returned error code 404.' },
      ],
      [
        { superevent_id: sid, pipeline: 'gstlal', event_id: secondGstlal.graceid },
        { pipeline: `No change performed. User specified pipeline, gstlal, is the same pipeline that produced ${sid}'s preferred event.` },
      ],
    ];
    for (const [fields, problems] of cases) {
      const refused = await stack.post(FORM, fields);
      assert.equal(refused.status, 422, JSON.stringify(fields));
      assert.deepEqual(refused.body.fields, problems);
    }
    const empty = await stack.post(FORM, {});
    assert.deepEqual(Object.keys(empty.body.fields as object).sort(), ['event_id', 'pipeline', 'superevent_id']);
    assert.equal(await stack.jobCount(), before, 'nothing queued');
    const superevent = await stack.services.gracedb.getSuperevent(sid);
    assert.deepEqual(Object.keys(superevent.pipeline_preferred_events), ['gstlal']);
    assert.equal(superevent.preferred_event, preferred.graceid);
  });

  test('a refusal in the browser: the form again (422) with the message under the field, HTML-escaped', async () => {
    const response = await fetch(`${stack.url}/${FORM}`, {
      method: 'POST',
      headers: { Authorization: 'Bearer compat-operator-token-0123456789', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ superevent_id: sid, pipeline: 'gstlal', event_id: secondGstlal.graceid }).toString(),
    });
    assert.equal(response.status, 422);
    assert.ok((await response.text()).includes(`the same pipeline that produced ${sid}&#39;s preferred event.`));
  });

  test('accepted: "User U queued a P preferred event change to E.", the pipeline-preferred event, alert contents rebuilt and not sent', async () => {
    const { gracedb, redis } = stack.services;
    const task = await stack.completed(FORM, { superevent_id: sid, pipeline: 'pycbc', event_id: pycbc.graceid });
    assert.deepEqual(
      task.steps.map((step) => step.task),
      ['gwqueue.tasks.gracedb.upload', 'gwqueue.tasks.gracedb.add_pipeline_preferred_event', 'gwqueue.tasks.orchestrator.alert_contents'],
    );
    const superevent = await gracedb.getSuperevent(sid);
    assert.equal(superevent.pipeline_preferred_events.pycbc?.graceid, pycbc.graceid);
    assert.equal(superevent.preferred_event, preferred.graceid, 'the preferred event stays');
    const logs = await gracedb.getLogs(sid);
    const asked = logs.find((entry) => entry.comment === `User robot queued a pycbc preferred event change to ${pycbc.graceid}.`);
    assert.deepEqual(asked?.tag_names, ['em_follow']);
    const result = task.result as { sent: boolean; alert: { superevent_id: string; alert_type: string; event: { pipeline: string } } };
    assert.equal(result.sent, false);
    assert.deepEqual([result.alert.superevent_id, result.alert.alert_type, result.alert.event.pipeline], [sid, 'PRELIMINARY', 'gstlal']);
    // No alert was ever sent, so the superevent has no public sky map yet: the preferred event's own files are read.
    assert.equal((task.result as { files_of: string }).files_of, preferred.graceid);
    assert.deepEqual(await listAlerts(redis, stack.config, { supereventId: sid }), [], 'no alert sent');
    assert.ok(!superevent.labels.includes('GCN_PRELIM_SENT'));
  });

  test('gwqueue chain change_pipeline_preferred_event: the same change from a terminal; a refusal is one line and exit 64', async () => {
    const env = { REDIS_URL: stack.config.redis.url!, GWQUEUE_PREFIX: stack.config.prefix, GWQUEUE_ENV: 'test' };
    const changed = await runCli(
      ['chain', FORM, `superevent_id=${sid}`, 'pipeline=pycbc', `event_id=${secondPycbc.graceid}`, '--wait', '30', '-u', 'carol'],
      env,
      { timeoutMs: 60_000 },
    );
    assert.equal(changed.code, 0, changed.stderr);
    assert.match(changed.stderr, new RegExp(`Changed [a-z]+ preferred event for ${sid}\\. Follow it as task [0-9a-f-]{36}\\.`));
    assert.equal((JSON.parse(changed.stdout) as { sent: boolean }).sent, false);
    assert.equal((await stack.services.gracedb.getSuperevent(sid)).pipeline_preferred_events.pycbc?.graceid, secondPycbc.graceid);
    assert.ok((await comments(stack, sid)).includes(`User carol queued a pycbc preferred event change to ${secondPycbc.graceid}.`));
    const before = await stack.jobCount();
    const refused = await runCli(['chain', FORM, `superevent_id=${sid}`, 'pipeline=gstlal', `event_id=${secondGstlal.graceid}`], env, {
      timeoutMs: 45_000,
    });
    assert.equal(refused.code, 64, 'a refused form is bad input (EX_USAGE)');
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /No change performed\. User specified pipeline, gstlal, is the same pipeline that produced/);
    assert.equal(await stack.jobCount(), before);
  });
});
