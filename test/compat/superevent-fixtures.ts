// What the preferred-event, preliminary-alert, RAVEN and circular compatibility tests start from: a mock superevent made
// through its form, more events of other pipelines grouped into it, an external trigger near it.
import assert from 'node:assert/strict';
import { eventually } from '../helpers/eventually.js';
import { gpsToDate, type EventRecord } from '../../src/gracedb/index.js';
import { grbVoEvent } from '../gracedb/sample-files.js';
import type { FormStack } from './form-client.js';

export interface MockSuperevent {
  sid: string;
  /** The mock (gstlal, MDC) event: the superevent's preferred event, with its sky map, em_bright and p_astro. */
  preferred: EventRecord;
}

/** Runs the Mock event form and waits until its superevent is ready for alerts (EM_READY, and frozen by EM_Selected). */
export async function mockSuperevent(stack: FormStack): Promise<MockSuperevent> {
  const queued = await stack.post('send_mock_event', {});
  assert.equal(queued.status, 202, JSON.stringify(queued.body));
  const made = (await stack.finished(String(queued.body.id))).result as { graceid: string; superevent_id: string };
  const { gracedb } = stack.services;
  const ready = async () => (await gracedb.getSuperevent(made.superevent_id)).labels;
  await eventually(
    async () => (await ready()).includes('EM_READY') && (await ready()).includes('EM_Selected'),
    30_000,
    'EM_READY, EM_Selected',
  );
  return { sid: made.superevent_id, preferred: await gracedb.getEvent(made.graceid) };
}

/** Uploads an MDC event of `pipeline` `offset` seconds after the superevent's t_0 and waits until it is grouped into it. */
export async function groupedEvent(stack: FormStack, sid: string, pipeline: string, offset: number, far = 1e-9): Promise<EventRecord> {
  const { gracedb } = stack.services;
  const { t_0 } = await gracedb.getSuperevent(sid);
  const event = await gracedb.createEvent({
    group: 'CBC',
    pipeline,
    search: 'MDC',
    filename: 'event.json',
    filecontents: JSON.stringify({ gpstime: t_0 + offset, far, instruments: 'H1,L1', extra_attributes: { CoincInspiral: { snr: 9 } } }),
  });
  await eventually(async () => (await gracedb.getEvent(event.graceid)).superevent === sid, 30_000, `${event.graceid} grouped into ${sid}`);
  return gracedb.getEvent(event.graceid);
}

/** An external trigger (group External, a VOEvent) `offset` seconds from the superevent's t_0; never grouped. */
export async function externalTrigger(
  stack: FormStack,
  sid: string,
  pipeline: string,
  search: string,
  offset: number,
): Promise<EventRecord> {
  const { gracedb } = stack.services;
  const { t_0 } = await gracedb.getSuperevent(sid);
  const isoTime = gpsToDate(t_0 + offset)
    .toISOString()
    .replace('Z', '');
  return gracedb.createEvent({ group: 'External', pipeline, search, filename: 'trigger.xml', filecontents: grbVoEvent(isoTime) });
}

/** The superevent's log comments, oldest first. */
export async function comments(stack: FormStack, objectId: string): Promise<string[]> {
  return (await stack.services.gracedb.getLogs(objectId)).map((entry) => entry.comment);
}
