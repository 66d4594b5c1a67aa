// One form action from every entry point: the console (a browser with its tokens, a client with an API token) and `gwqueue chain` audit alike and give the same reason for bad input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, browser, API_TOKEN, type InProcess } from '../helpers/in-process.js';
import { runCli } from '../helpers/cli.js';
import { seedSuperevent } from '../helpers/superevents.js';
import { listAudit, type AuditEntry } from '../../src/audit/audit-log.js';

const FORM = 'send_preliminary_gcn';
/** A superevent and its event in the fixture's embedded GraceDB: the form looks the event up before queuing. */
let VALID = { superevent_id: 'S240101a', event_id: 'G123456' };
const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('a form from the console and from gwqueue chain: one action', () => {
  let fx: InProcess;
  let env: Record<string, string>;

  const entries = async (): Promise<AuditEntry[]> =>
    (await listAudit(fx.engine.client.redis, fx.engine.config, { action: `form.${FORM}`, limit: 500 })).entries;
  /** The three entry points, each given the same fields. */
  const fromBrowser = async (fields: Record<string, string>, status: number) => {
    const { agent, headers, tokens } = await browser(fx.app);
    const t = await tokens(FORM);
    const body = { ...fields, _csrf: t.csrf, submission_token: t.submission, confirmed: 'yes' };
    return agent.post(`/${FORM}`).set(headers).type('form').send(body).expect(status);
  };
  const fromApi = (fields: Record<string, string>, status: number, key?: string) =>
    request(fx.app)
      .post(`/${FORM}`)
      .set({ Authorization: `Bearer ${API_TOKEN}`, Accept: 'application/json', ...(key ? { 'Idempotency-Key': key } : {}) })
      .send(fields)
      .expect(status);
  const fromTerminal = (fields: Record<string, string>) =>
    runCli(['chain', FORM, ...Object.entries(fields).map(([name, value]) => `${name}=${value}`)], env);

  before(async () => {
    fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
    env = { REDIS_URL: fx.redis.url, GWQUEUE_PREFIX: fx.engine.config.prefix, GWQUEUE_ENV: 'test' };
    const seeded = await seedSuperevent(fx.gracedb);
    VALID = { superevent_id: seeded.superevent, event_id: seeded.event };
  });
  after(async () => {
    await fx?.stop();
  });

  test('accepted: the same audit name, outcome, fields and message from the browser, the API and the terminal', async () => {
    const browserTask = (await fromBrowser(VALID, 303)).headers.location.split('/').pop()!;
    const apiTask = (await fromApi(VALID, 202, 'form-entry-points-0001')).body.id as string;
    const cli = await fromTerminal(VALID);
    assert.equal(cli.code, 0, cli.stderr);
    const terminalTask = cli.stdout.trim();
    for (const id of [browserTask, apiTask, terminalTask]) assert.match(id, TASK_ID);

    const all = await entries();
    const byTask = (id: string) => {
      const entry = all.find((e) => e.taskId === id);
      assert.ok(entry, `task ${id} is audited`);
      return entry;
    };
    const [browserEntry, apiEntry, cliEntry] = [byTask(browserTask), byTask(apiTask), byTask(terminalTask)];
    // Who and from where differ; what was done is described alike.
    assert.deepEqual(
      [browserEntry, apiEntry, cliEntry].map((e) => [e.action, e.outcome, e.detail.replace(e.taskId!, 'ID')]),
      Array(3).fill([`form.${FORM}`, 'accepted', `Queued preliminary alert for ${VALID.superevent_id}. Follow it as task ID.`]),
    );
    assert.deepEqual(browserEntry.fields, { ...VALID, via: 'console' });
    assert.deepEqual(apiEntry.fields, { ...VALID, via: 'console' });
    assert.deepEqual(cliEntry.fields, { ...VALID, asked_by: os.userInfo().username, via: 'cli' });
    assert.deepEqual(
      [browserEntry.user, apiEntry.user, cliEntry.user, cliEntry.address],
      ['albert.einstein', 'robot', os.userInfo().username, `cli@${os.hostname()}`],
    );
    // The same message on the terminal as in the console's flash.
    assert.match(cli.stderr, new RegExp(`Queued preliminary alert for ${VALID.superevent_id}\\. Follow it as task ${terminalTask}\\.`));
  });

  test('bad input: the same reason for the same field at every entry point, nothing enqueued', async () => {
    const jobs = await fx.jobCount();
    const bad = { superevent_id: 'S24', event_id: 'G123456' };
    const reason = 'must look like S240101a';

    const page = await fromBrowser(bad, 422);
    assert.match(page.text, new RegExp(`Superevent ID ${reason}`));
    assert.match(page.text, /value="S24"/, 'the form is refilled');

    const api = await fromApi(bad, 422);
    // The one JSON shape of a refused action (a dashboard control's too): ok, status, the line, the field's reason.
    assert.deepEqual(api.body, { ok: false, status: 422, error: `superevent_id ${reason}`, fields: { superevent_id: reason } });

    const cli = await fromTerminal(bad);
    assert.equal(cli.code, 64, cli.stderr);
    assert.equal(cli.stderr.trim(), `gwqueue: ${FORM}: superevent_id ${reason}`);

    assert.equal(await fx.jobCount(), jobs, 'nothing enqueued');
    const rejected = (await entries()).filter((e) => e.outcome === 'rejected');
    assert.deepEqual(
      rejected.slice(0, 2).map((e) => [e.detail, e.fields.via]),
      [
        [`superevent_id ${reason}`, 'console'],
        [`superevent_id ${reason}`, 'console'],
      ],
      'the console audits the refusal with the same sentence the terminal prints',
    );
  });
});
