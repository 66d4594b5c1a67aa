// The forms' GraceDB look-ups against a REST GraceDB (a fake one on loopback): GWCelery's refusal text with GraceDB's
// status, "none" when GraceDB does not answer, and a found record passed on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraceDbRestClient } from '../../src/gracedb/rest-client.js';
import { lookUpEvent, lookUpSuperevent } from '../../src/forms/gracedb-lookups.js';
import { fakeGraceDbForEachTest, type FakeGraceDb } from '../gracedb/fake-gracedb.js';
import { freePort } from '../helpers/redis-server.js';

const RETRY = { attempts: 2, initialDelayMs: 5, maxDelayMs: 20, timeoutMs: 2000 };

describe('form look-ups in a REST GraceDB', () => {
  let fake: FakeGraceDb;
  let client: GraceDbRestClient;

  fakeGraceDbForEachTest({ token: 't', retry: RETRY }, (started, fresh) => {
    [fake, client] = [started, fresh];
  });

  it('a found event is passed on; a 404 or 403 is the refusal with that code', async () => {
    fake.on('GET', 'events/G1', { json: { graceid: 'G1', pipeline: 'gstlal' } });
    const found = await lookUpEvent(client, 'action', 'G1');
    assert.ok(found.ok && found.record.graceid === 'G1');
    fake.on('GET', 'events/G2', { status: 404, json: { detail: 'Not found.' } });
    assert.deepEqual(await lookUpEvent(client, 'action', 'G2'), {
      ok: false,
      problem: 'No action performed. GraceDB query for G2 returned error code 404.',
    });
    fake.on('GET', 'superevents/S240101a/', { status: 403, json: { detail: 'Forbidden' } });
    assert.deepEqual(await lookUpSuperevent(client, 'change', 'S240101a'), {
      ok: false,
      problem: 'No change performed. GraceDB query for S240101a returned error code 403.',
    });
  });

  it('GraceDB overloaded (503 after the retries) or not answering: refused, saying so', async () => {
    fake.on('GET', 'events/G3', { status: 503, body: 'down for maintenance' });
    assert.deepEqual(await lookUpEvent(client, 'change', 'G3'), {
      ok: false,
      problem: 'No change performed. GraceDB query for G3 returned error code 503.',
    });
    assert.equal(fake.requestsTo('GET', 'events/G3').length, RETRY.attempts, 'retried as the client does, then answered');
    const nobody = new GraceDbRestClient({ url: `http://127.0.0.1:${await freePort()}/api/`, retry: RETRY });
    assert.deepEqual(await lookUpEvent(nobody, 'action', 'G4'), {
      ok: false,
      problem: 'No action performed. GraceDB query for G4 returned error code none (GraceDB did not answer).',
    });
  });
});
