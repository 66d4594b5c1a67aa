// Idempotency-Key over HTTP against a real console process and worker: any visible-ASCII key of 1–255 characters makes a repeat harmless (one task, one alert), and a malformed one is refused with 400 naming the header; never ignored.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { listAlerts } from '../../src/alerts/outbox.js';
import { listAudit } from '../../src/audit/audit-log.js';
import { keyOf } from '../../src/redis/keys.js';
import { raiseError } from '../../src/tasks/core.js';
import { OPERATOR_TOKEN, formStack, withFormClient, type FormStack } from '../compat/form-client.js';
import { startProcesses } from '../helpers/real-processes.js';
import { mockSuperevent } from '../compat/superevent-fixtures.js';

const FORM = 'send_preliminary_gcn';
/** The key of the fault report (issue 26.2): colons, letters and digits, which the console used to ignore. */
const REPORTED_KEY = 'alert:MS261206f:prelim:0001';
const AUTH = { Authorization: `Bearer ${OPERATOR_TOKEN}`, Accept: 'application/json' };

/** Each class of malformed key, as the bytes a client puts on the wire, and what the refusal says. */
const MALFORMED: { name: string; value: string | string[]; reason: RegExp }[] = [
  { name: 'empty', value: '', reason: /is empty/ },
  { name: '256 characters', value: 'k'.repeat(256), reason: /is 256 characters long; at most 255/ },
  { name: 'a space inside', value: 'alert key 0001', reason: /contains a space/ },
  { name: 'a tab inside', value: 'alert\tkey', reason: /contains a control character/ },
  { name: 'Latin-1 byte', value: 'cl\u00e9-0001', reason: /contains a non-ASCII character/ },
  // UTF-8 "ключ" as the raw bytes a client sends (Node reads header bytes as Latin-1).
  { name: 'UTF-8 bytes', value: Buffer.from('ключ-0001', 'utf8').toString('latin1'), reason: /contains a non-ASCII character/ },
  { name: 'two headers', value: ['first-key-0001', 'second-key-0001'], reason: /was sent 2 times; send one key/ },
];

describe('Idempotency-Key', () => {
  let stack: FormStack;
  let sid: string;
  let eventId: string;

  before(async () => {
    stack = withFormClient(await startProcesses(formStack()));
    const made = await mockSuperevent(stack);
    sid = made.sid;
    eventId = made.preferred.graceid;
  });
  after(async () => {
    await stack?.stop();
  });

  test('the reported key sent twice: one task, one PRELIMINARY alert; the key is kept hashed', async () => {
    const post = () =>
      request(stack.url)
        .post(`/${FORM}`)
        .set({ ...AUTH, 'Idempotency-Key': REPORTED_KEY })
        .type('form')
        .send({ superevent_id: sid, event_id: eventId });
    const before = await stack.jobCount();
    const first = await post();
    assert.equal(first.status, 202, first.text);
    const second = await post();
    assert.equal(second.status, 200, second.text);
    assert.equal(second.body.duplicate, true);
    assert.equal(second.body.id, first.body.id, 'the duplicate names the first task');
    const task = await stack.finished(first.body.id);
    assert.equal(task.state, 'completed', JSON.stringify(task.error));
    // The chain's three steps, once.
    assert.equal(await stack.jobCount(), before + 3);
    const alerts = await listAlerts(stack.services.redis, stack.config, { supereventId: sid });
    assert.deepEqual(
      alerts.map((alert) => alert.payload.alert_type),
      ['PRELIMINARY'],
    );
    const hashed = keyOf(stack.config, 'submission', `sha256:${createHash('sha256').update(REPORTED_KEY).digest('hex')}`);
    assert.equal(await stack.engine.client.redis.exists(hashed), 1, 'the claim is kept under the hash of the key');
    assert.deepEqual(await stack.engine.client.redis.keys(`*MS261206f*`), [], 'the key itself is in no Redis key name');
  });

  test('every malformed class: 400 naming Idempotency-Key and why, nothing enqueued, the refusal audited', async () => {
    const before = await stack.jobCount();
    for (const { name, value, reason } of MALFORMED) {
      const res = await request(stack.url)
        .post(`/${FORM}`)
        .set(AUTH)
        // superagent sends an array as one header line per value.
        .set('Idempotency-Key', value as string)
        .type('form')
        .send({ superevent_id: sid, event_id: eventId });
      assert.equal(res.status, 400, `${name}: ${res.status} ${res.text}`);
      assert.equal(res.body.field, 'Idempotency-Key', name);
      assert.match(res.body.error, reason, name);
      assert.match(res.body.error, /Nothing was done/, name);
    }
    assert.equal(await stack.jobCount(), before, 'nothing enqueued');
    const { entries } = await listAudit(stack.engine.client.redis, stack.config, { user: 'robot', limit: 50 });
    const refusals = entries.filter((entry) => entry.outcome === 'rejected' && /^Idempotency-Key /.test(entry.detail));
    assert.equal(refusals.length, MALFORMED.length);
    assert.ok(refusals.every((entry) => entry.action === 'form.send_preliminary_gcn'));
  });

  test('a key of 1 and of 255 characters, any visible ASCII, is accepted', async () => {
    for (const key of ['!', `~${'x'.repeat(253)}"`]) {
      const res = await request(stack.url)
        .post('/send_mock_event')
        .set({ ...AUTH, 'Idempotency-Key': key })
        .type('form')
        .send({});
      assert.equal(res.status, 202, `${key.length} characters: ${res.text}`);
      const again = await request(stack.url)
        .post('/send_mock_event')
        .set({ ...AUTH, 'Idempotency-Key': key })
        .type('form')
        .send({});
      assert.equal(again.body.id, res.body.id, 'the repeat answers with the first task');
      await stack.finished(res.body.id);
    }
  });

  test('dashboard controls and the task retry honour a key too, and refuse a malformed one', async () => {
    const failed = await raiseError.delay('for the retry');
    await failed.get({ timeout: 15 }).catch(() => null);
    const queue = stack.engine.client.queue('celery');
    for (const path of ['/flower/queues/celery/pause', `/tasks/${failed.id}/retry`, `/flower/tasks/${failed.id}/retry`]) {
      const res = await request(stack.url).post(path).set(AUTH).set('Idempotency-Key', 'bad key').send({});
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.equal(res.body.field, 'Idempotency-Key');
    }
    assert.equal(await queue.isPaused(), false, 'the refused pause did nothing');
    const pause = () =>
      request(stack.url)
        .post('/flower/queues/celery/pause')
        .set({ ...AUTH, 'Idempotency-Key': 'ops:pause:celery:1' });
    const first = await pause();
    assert.equal(first.status, 200, first.text);
    assert.equal(await queue.isPaused(), true);
    await queue.resume();
    const repeat = await pause();
    assert.equal(repeat.status, 200, repeat.text);
    assert.equal(repeat.body.duplicate, true, 'the repeat is a duplicate of the first pause');
    assert.equal(await queue.isPaused(), false, 'and did not pause again');
  });
});
