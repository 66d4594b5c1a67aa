// GWCelery's Create Update GCN Circular over HTTP (real console process, real worker, embedded GraceDB): GET 405; no
// update type refused; its four cases (sky_localization; em_bright + p_astro; raven; all four) compose the circular
// from the superevent's public files and, for raven, its external coincidence (em_type and coincidence FARs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventRecord } from '../../src/gracedb/index.js';
import { formStack, withFormClient, type FormStack } from './form-client.js';
import { startProcesses } from '../helpers/real-processes.js';
import { externalTrigger, mockSuperevent } from './superevent-fixtures.js';

const FORM = 'create_update_gcn_circular';

interface Circular {
  subject: string;
  body: string;
  text: string;
}

describe('create_update_gcn_circular (GWCelery compatibility)', () => {
  let stack: FormStack;
  let sid: string;

  before(async () => {
    stack = withFormClient(await startProcesses(formStack()));
    const mock = await mockSuperevent(stack);
    sid = mock.sid;
    // The preliminary alert makes the superevent's sky map, em_bright and p_astro public: what update circulars read.
    await stack.completed('send_preliminary_gcn', { superevent_id: sid, event_id: mock.preferred.graceid });
  });
  after(async () => {
    await stack?.stop();
  });

  async function circular(types: string[]): Promise<{ state: string; result: unknown; error: { message: string } | null }> {
    return stack.run(FORM, { superevent_id: sid, ...Object.fromEntries(types.map((type) => [type, 'on'])) });
  }

  test('GET is 405; no update type: refused under the first checkbox, nothing queued', async () => {
    assert.equal((await fetch(`${stack.url}/${FORM}`)).status, 405);
    const before = await stack.jobCount();
    const none = await stack.post(FORM, { superevent_id: sid });
    assert.equal(none.status, 422);
    assert.deepEqual(none.body.fields, {
      sky_localization: 'Choose at least one of sky localization, em_bright, p_astro or raven coincidence.',
    });
    assert.equal(await stack.jobCount(), before);
  });

  test('raven before any external coincidence: the task fails and says why', async () => {
    const task = await circular(['raven']);
    assert.equal(task.state, 'failed');
    assert.match(task.error?.message ?? '', new RegExp(`${sid} has no external event to report`));
  });

  test("GWCelery's four cases, raven included", async () => {
    const { gracedb } = stack.services;
    const grb: EventRecord = await externalTrigger(stack, sid, 'Fermi', 'GRB', -2);
    await gracedb.updateSuperevent(sid, { em_type: grb.graceid, time_coinc_far: 1e-6, space_coinc_far: 1e-8 });
    const cases: [string[], string][] = [
      [['sky_localization'], 'Sky localization'],
      [['em_bright', 'p_astro'], 'EM Bright Classification and Source Classification'],
      [['raven'], 'External Coincidence'],
      [
        ['sky_localization', 'em_bright', 'p_astro', 'raven'],
        'Sky localization, EM Bright Classification, Source Classification, and External Coincidence',
      ],
    ];
    for (const [types, title] of cases) {
      const task = await circular(types);
      assert.equal(task.state, 'completed', `${types.join('+')}: ${JSON.stringify(task.error)}`);
      const text = task.result as Circular;
      assert.equal(text.subject, `LIGO/Virgo/KAGRA ${sid}: Updated ${title}`);
      assert.ok(text.text.startsWith(`SUBJECT: ${text.subject}\n\n`));
      const coincidence = `The Fermi GRB trigger ${grb.graceid} was observed 2.00 s before the GW candidate and is considered coincident with ${sid}. The RAVEN search found a temporal coincidence false alarm rate of 1.0e-6 Hz and a spatio-temporal coincidence false alarm rate of 1.0e-8 Hz.`;
      assert.equal(text.body.includes(coincidence), types.includes('raven'), `${types.join('+')}: the coincidence paragraph\n${text.body}`);
      assert.equal(
        /the 90% credible region is \d+ deg2/.test(text.body),
        types.includes('sky_localization'),
        `${types.join('+')}: sky map`,
      );
      assert.equal(/\(HasNS\)/.test(text.body), types.includes('em_bright'), `${types.join('+')}: em_bright`);
    }
  });
});
