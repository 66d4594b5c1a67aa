// Failures as they were: Sentry shows a failed task's own error type and message (not BullMQ's UnrecoverableError),
// and the body of the GraceDB answer that made it fail, against the loopback Sentry and a fake GraceDB.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { startFakeSentry, type FakeSentry } from './sentry-server.js';
import { FakeGraceDb } from '../gracedb/fake-gracedb.js';
import { defineTask } from '../../src/queue/registry.js';
import { GraceDbRestClient } from '../../src/gracedb/rest-client.js';
import { GraceDbBadRequestError, RESPONSE_BODY_LIMIT } from '../../src/gracedb/errors.js';
import { flushSentry } from '../../src/sentry/sentry.js';

const GRACEDB_ANSWER = { name: ['"NOT_A_LABEL" is not a valid choice.'], request_id: 'req-4711' };

const labelIt = defineTask({
  name: 'gwqueue.tests.sentry.label_it',
  description: 'Applies a label through the GraceDB REST client; GraceDB refuses it.',
  params: { url: z.string(), superevent_id: z.string() },
  retry: { attempts: 3, backoffMs: 50 },
  async run({ url, superevent_id }) {
    await new GraceDbRestClient({ url, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1, timeoutMs: 5000 } }).createLabel(
      'NOT_A_LABEL',
      superevent_id,
    );
  },
});

describe('Sentry: failures as they were', () => {
  let sentry: FakeSentry;
  let gracedb: FakeGraceDb;
  let engine: InProcess;

  before(async () => {
    sentry = await startFakeSentry();
    gracedb = await FakeGraceDb.start();
    engine = await startInProcess({ env: { SENTRY_DSN: sentry.dsn, GWQUEUE_HOST_SAMPLE_INTERVAL_MS: '0' } });
    await engine.startWorker({ name: 'sentry-errors@test' });
  });
  after(async () => {
    await engine?.stop();
    await gracedb?.stop();
    await sentry?.stop();
  });

  test('a task failing for good on a GraceDB 400: its own error type and message, and the JSON body attached', async () => {
    gracedb.on('POST', 'superevents/S240101a/labels/', { status: 400, json: GRACEDB_ANSWER });
    const handle = await labelIt.applyAsync({ kwargs: { url: gracedb.apiUrl, superevent_id: 'S240101a' } });
    await assert.rejects(handle.get({ timeout: 10 }));
    assert.equal(gracedb.requestsTo('POST', 'superevents/S240101a/labels/').length, 1, 'a 400 is not retried');
    await flushSentry(3000);
    const event = await eventually(() => sentry.events().find((e) => e.tags?.task_id === handle.id), 5000, 'the task failure event');
    const exception = event.exception?.values.at(-1);
    assert.equal(exception?.type, 'GraceDbBadRequestError', 'the task’s own error type, not UnrecoverableError');
    assert.equal(exception?.value, 'name: "NOT_A_LABEL" is not a valid choice.; request_id: req-4711', 'GraceDB’s own words');
    assert.ok(!event.exception?.values.some((value) => value.type === 'UnrecoverableError'));
    const response = event.contexts?.http_response as { status: number; body: string };
    assert.equal(response.status, 400);
    assert.deepEqual(JSON.parse(response.body), GRACEDB_ANSWER, 'GraceDB’s answer as it was');
    assert.deepEqual(JSON.parse((event.extra as Record<string, string>).response_body), GRACEDB_ANSWER);
  });

  test('a long answer is cut to a sane size', async () => {
    gracedb.on('POST', 'superevents/S240101b/labels/', { status: 400, contentType: 'text/plain', body: 'x'.repeat(50_000) });
    const client = new GraceDbRestClient({
      url: gracedb.apiUrl,
      retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1, timeoutMs: 5000 },
    });
    const error = await client.createLabel('NOT_A_LABEL', 'S240101b').catch((caught: unknown) => caught);
    assert.ok(error instanceof GraceDbBadRequestError);
    assert.ok(error.responseBody!.startsWith('x'.repeat(RESPONSE_BODY_LIMIT)));
    assert.ok(error.responseBody!.length < RESPONSE_BODY_LIMIT + 100, String(error.responseBody!.length));
    assert.match(error.responseBody!, /45904 more characters cut/);
  });
});
