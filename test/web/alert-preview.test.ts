// The alert a form would send, shown before it is sent (the confirmation page, and the dialog's JSON), and the EM advocate's sign-off from the superevent's page: OK sends the INITIAL alert, once confirmed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcessPerTest, browser, CONSOLE_ACCESS, DOMAIN_SETTINGS, type InProcess, mockSuperevent } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';

interface Mock {
  graceid: string;
  superevent_id: string;
}

describe('alert preview and the advocate sign-off', () => {
  let fx: InProcess;
  const voevents = async (sid: string) => (await fx.services.gracedb.getVoevents(sid)).map((voevent) => voevent.voevent_type);
  /** A mock event grouped and complete: its superevent may send its preliminary alert. */
  const mockEvent = () => mockSuperevent<Mock>(fx);

  // A fresh key prefix per test: mock events made "now" would otherwise join one superevent.
  const engines = startInProcessPerTest({ app: true, env: { ...CONSOLE_ACCESS, ...DOMAIN_SETTINGS }, workers: [{}], services: true });

  test('the preliminary form: the confirmation shows the PRELIMINARY alert and its files; nothing leaves before the OK', async () => {
    fx = await engines.start();
    const { superevent_id: sid, graceid } = await mockEvent();
    const { agent, headers, tokens } = browser(fx.app);
    const t = await tokens('send_preliminary_gcn');
    const body = { _csrf: t.csrf, submission_token: t.submission, superevent_id: sid, event_id: graceid };
    const page = await agent.post('/send_preliminary_gcn').set(headers).type('form').send(body).expect(200);
    assert.match(page.text, /Please confirm: Issue Preliminary GCN Notice/);
    assert.match(page.text, /The alert this sends/);
    assert.match(page.text, /alert-preview-type">PRELIMINARY</);
    assert.match(page.text, /skymap: [\w.-]+\.multiorder\.fits,\d+/);
    assert.match(page.text, new RegExp(`those of ${graceid}, copied to the superevent`));
    assert.match(page.text, /the first alert of this superevent/);
    assert.deepEqual(await voevents(sid), [], 'nothing was sent by the preview');

    // The dialog's question: the same preview as JSON.
    const json = await agent
      .post('/send_preliminary_gcn')
      .set(headers)
      .set('Accept', 'application/json')
      .type('form')
      .send(body)
      .expect(200);
    assert.equal(json.body.confirm, true);
    assert.equal(json.body.preview.alert_type, 'PRELIMINARY');
    assert.deepEqual(json.body.preview.changes, ['the first alert of this superevent']);

    await agent
      .post('/send_preliminary_gcn')
      .set(headers)
      .type('form')
      .send({ ...body, confirmed: 'yes' })
      .expect(303);
    await eventually(async () => (await voevents(sid)).includes('PR'), 15_000, 'the PRELIMINARY VOEvent');
  });

  test("the superevent's page: the advocate's OK, previewed as the INITIAL alert with what changes, then sent once confirmed", async () => {
    fx = await engines.start();
    const { superevent_id: sid, graceid } = await mockEvent();
    await fx.runChain('send_preliminary_gcn', { superevent_id: sid, event_id: graceid });
    await eventually(async () => (await voevents(sid)).includes('PR'), 15_000, 'the PRELIMINARY VOEvent');
    const { agent, headers } = browser(fx.app);
    const view = await agent.get(`/gracedb/superevents/${sid}/view/`).set(headers).expect(200);
    const section = view.text.slice(view.text.indexOf('id="advocate-signoff"'));
    assert.match(section, /action="\/advocate_signoff"/, 'the page has the sign-off form');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(section)![1];
    const submission = /name="submission_token" value="([^"]+)"/.exec(section)![1];
    const body = { _csrf: csrf, submission_token: submission, superevent_id: sid, status: 'OK', comment: 'looks real' };

    const page = await agent.post('/advocate_signoff').set(headers).type('form').send(body).expect(200);
    assert.match(page.text, /Please confirm: EM Advocate Sign-off/);
    assert.match(page.text, /alert-preview-type">INITIAL</);
    assert.match(page.text, /Since the last alert \(Preliminary/);
    assert.match(page.text, /type: PRELIMINARY → INITIAL/);
    assert.deepEqual(await voevents(sid), ['PR'], 'no sign-off and no alert before the confirmation');

    const done = await agent
      .post('/advocate_signoff')
      .set(headers)
      .type('form')
      .send({ ...body, confirmed: 'yes' })
      .expect(303);
    assert.match(done.headers.location, /^\/tasks\//);
    await eventually(async () => (await voevents(sid)).includes('IN'), 20_000, 'the INITIAL VOEvent');
    const superevent = await fx.services.gracedb.getSuperevent(sid);
    assert.ok(superevent.labels.includes('ADVOK'), superevent.labels.join());
    assert.deepEqual(await voevents(sid), ['PR', 'IN']);
  });

  test('a sign-off on a superevent that sent no alert is refused before anything is queued', async () => {
    fx = await engines.start();
    const { superevent_id: sid } = await mockEvent();
    const { agent, headers, tokens } = browser(fx.app);
    const t = await tokens('advocate_signoff');
    const jobs = await fx.jobCount();
    const refused = await agent
      .post('/advocate_signoff')
      .set(headers)
      .type('form')
      .send({ _csrf: t.csrf, submission_token: t.submission, superevent_id: sid, status: 'NO', confirmed: 'yes' })
      .expect(422);
    assert.match(refused.text, new RegExp(`No sign-off recorded\\. ${sid} has sent no preliminary alert yet\\.`));
    assert.equal(await fx.jobCount(), jobs, 'nothing queued');
    assert.deepEqual(await voevents(sid), []);
  });
});
