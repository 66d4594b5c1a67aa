// GWCelery's Designate External Coincidence (RAVEN labels) over HTTP (real console process, real worker, embedded
// GraceDB): GET 405; missing fields refused; before the labels, the superevent's em_type and, for GRB-type searches, its
// time and sky coincidence FARs from the external event's coincidence_far.json (GWCelery's two cases: GRB, SNEWS); a
// GRB without that file gets the temporal FAR computed as ligo-raven does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { timeCoincidenceFar } from '../../src/tasks/raven.js';
import { formStack, withFormClient, type FormStack } from './form-client.js';
import { startProcesses } from '../helpers/real-processes.js';
import { comments, externalTrigger, mockSuperevent } from './superevent-fixtures.js';

const FORM = 'apply_raven_labels';

describe('apply_raven_labels (GWCelery compatibility)', () => {
  let stack: FormStack;
  let sid: string;
  let gwEvent: string;

  before(async () => {
    stack = withFormClient(await startProcesses(formStack()));
    const mock = await mockSuperevent(stack);
    [sid, gwEvent] = [mock.sid, mock.preferred.graceid];
  });
  after(async () => {
    await stack?.stop();
  });

  async function designate(extId: string) {
    const task = await stack.completed(FORM, { superevent_id: sid, ext_id: extId, event_id: gwEvent });
    assert.deepEqual(
      task.steps.map((step) => step.task),
      ['gwqueue.tasks.gracedb.upload', 'gwqueue.tasks.raven.update_preferred_external_event', 'gwqueue.tasks.raven.apply_raven_labels'],
    );
    return task;
  }

  test('GET is 405; no data: every field named, nothing queued', async () => {
    assert.equal((await fetch(`${stack.url}/${FORM}`)).status, 405);
    const before = await stack.jobCount();
    const empty = await stack.post(FORM, {});
    assert.equal(empty.status, 422);
    assert.deepEqual(Object.keys(empty.body.fields as object).sort(), ['event_id', 'ext_id', 'superevent_id']);
    assert.equal(await stack.jobCount(), before);
  });

  test('SNEWS (not a GRB search): em_type set, no coincidence FARs, then RAVEN_ALERT on all three', async () => {
    const { gracedb } = stack.services;
    const snews = await externalTrigger(stack, sid, 'SNEWS', 'Supernova', -3);
    await designate(snews.graceid);
    const superevent = await gracedb.getSuperevent(sid);
    assert.deepEqual([superevent.em_type, superevent.time_coinc_far, superevent.space_coinc_far], [snews.graceid, null, null]);
    assert.ok(superevent.labels.includes('RAVEN_ALERT'));
    for (const graceid of [snews.graceid, gwEvent]) assert.ok((await gracedb.getEvent(graceid)).labels.includes('RAVEN_ALERT'), graceid);
    const said = await comments(stack, sid);
    const updated = said.indexOf(`Updated superevent parameters: em_type: None -> ${snews.graceid}`);
    assert.ok(updated >= 0 && updated < said.indexOf('Added label: RAVEN_ALERT'), 'em_type before the label');
  });

  test("GRB: em_type and both FARs from the external event's coincidence_far.json", async () => {
    const { gracedb } = stack.services;
    const grb = await externalTrigger(stack, sid, 'Fermi', 'GRB', -2);
    await gracedb.writeLog(grb.graceid, 'RAVEN coincidence FARs', {
      filename: 'coincidence_far.json',
      filecontents: JSON.stringify({ temporal_coinc_far: 1e-6, spatiotemporal_coinc_far: 1e-8 }),
      tags: ['ext_coinc'],
    });
    const previous = (await gracedb.getSuperevent(sid)).em_type;
    await designate(grb.graceid);
    const superevent = await gracedb.getSuperevent(sid);
    assert.deepEqual([superevent.em_type, superevent.time_coinc_far, superevent.space_coinc_far], [grb.graceid, 1e-6, 1e-8]);
    assert.ok(
      (await comments(stack, sid)).includes(
        `Updated superevent parameters: em_type: ${previous} -> ${grb.graceid}, time_coinc_far: None -> ${1e-6}, space_coinc_far: None -> ${1e-8}`,
      ),
    );
    assert.ok((await gracedb.getEvent(grb.graceid)).labels.includes('RAVEN_ALERT'));
  });

  test('SubGRB without coincidence_far.json: the temporal FAR computed from the GW FAR, the sky FAR left as it was, and said so', async () => {
    const { gracedb } = stack.services;
    const subGrb = await externalTrigger(stack, sid, 'Fermi', 'SubGRB', -1);
    const before = await gracedb.getSuperevent(sid);
    await designate(subGrb.graceid);
    const after = await gracedb.getSuperevent(sid);
    assert.equal(after.em_type, subGrb.graceid);
    assert.equal(after.time_coinc_far, timeCoincidenceFar(before.far!));
    assert.equal(after.space_coinc_far, before.space_coinc_far, 'unchanged, as GWCelery leaves a None');
    assert.ok((await comments(stack, sid)).some((comment) => comment.startsWith(`${subGrb.graceid} has no coincidence_far.json`)));
    assert.ok((await gracedb.getEvent(subGrb.graceid)).labels.includes('RAVEN_ALERT'));
  });
});
