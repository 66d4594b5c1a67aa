// The Workers section with real worker processes: online with their details, offline in red seconds after a SIGKILL, forgotten with one (confirmed) click, and the health findings on top.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, browser, type InProcess } from '../helpers/in-process.js';
import { eventually } from '../helpers/eventually.js';
import { startCli } from '../helpers/cli.js';
import { listAudit } from '../../src/audit/audit-log.js';

const USER = { 'X-Proxy-Remote-User': 'albert.einstein' };

describe('dashboard workers', () => {
  let fx: InProcess;
  let env: Record<string, string>;

  before(async () => {
    fx = await startInProcess({ app: true, env: { ...CONSOLE_ACCESS, GWQUEUE_HEARTBEAT_MS: '200' } });
    env = { REDIS_URL: fx.redis.url, GWQUEUE_PREFIX: fx.engine.config.prefix, GWQUEUE_HEARTBEAT_MS: '200', GWQUEUE_ENV: 'test' };
  });
  after(async () => {
    await fx?.stop();
  });

  type Row = { name: string; status: string; [key: string]: unknown };
  const workerRow = async (name: string): Promise<Row | undefined> => {
    const workers = (await request(fx.app).get('/flower/api/workers').expect(200)).body as Row[];
    return workers.find((w) => w.name === name);
  };
  const inStatus = (name: string, status: string) => async () => {
    const row = await workerRow(name);
    return row?.status === status ? row : undefined;
  };

  test('a worker process shows online with its details, then offline in red within seconds of a SIGKILL', async () => {
    const worker = await startCli(['worker', '-n', 'doomed@gw-host', '-c', '3'], env, /consuming/);
    let killedAt = 0;
    try {
      const online = await eventually(inStatus('doomed@gw-host', 'online'), 5000, 'the worker to be online');
      assert.equal(online.concurrency, 3);
      assert.equal(online.pid, worker.child.pid);
      assert.ok((online.queues as string[]).includes('celery'));
      assert.equal(typeof online.memoryRss, 'number');
      assert.equal((online.loadAverage as number[]).length, 3);
      const page = await request(fx.app).get('/flower/').set(USER).expect(200);
      assert.match(page.text, /<tr class="" data-worker="doomed@gw-host" data-status="online">/);
      assert.doesNotMatch(
        page.text.slice(
          page.text.indexOf('data-worker="doomed@gw-host"'),
          page.text.indexOf('</tr>', page.text.indexOf('data-worker="doomed@gw-host"')),
        ),
        /Forget/,
        'an online worker cannot be forgotten',
      );
    } finally {
      worker.child.kill('SIGKILL');
      killedAt = Date.now();
      await worker.exited;
    }
    const offline = await eventually(inStatus('doomed@gw-host', 'offline'), 5000, 'the worker to turn offline');
    assert.ok(Date.now() - killedAt < 5000, `offline after ${Date.now() - killedAt} ms`);
    assert.equal(offline.offlineReason, 'lost');
    const page = await request(fx.app).get('/flower/').set(USER).expect(200);
    assert.match(page.text, /<tr class="table-danger worker-offline" data-worker="doomed@gw-host" data-status="offline">/);
    assert.match(page.text, /badge text-bg-danger worker-status">offline<\/span> <span class="small text-danger-emphasis">lost/);
  });

  test('the home page shows the same findings as /readyz', async () => {
    const ready = await request(fx.app).get('/readyz');
    const page = await request(fx.app).get('/flower/').set(USER).expect(200);
    assert.match(page.text, new RegExp(`data-status="${ready.body.status}"`));
    assert.equal(ready.body.status, 'CRITICAL', 'no worker is left');
    assert.match(page.text, /Not all expected queues are active/);
    assert.match(page.text, /Worker doomed@gw-host stopped sending heartbeats/);
  });

  test('an offline worker is forgotten after a confirmation, and the forget is audited', async () => {
    const { agent, tokens } = await browser(fx.app);
    const { csrf } = await tokens('send_mock_event');
    const confirm = await agent
      .post('/flower/workers/doomed%40gw-host/forget')
      .set(USER)
      .type('form')
      .send({ _csrf: csrf, back: '/flower/' })
      .expect(200);
    assert.match(confirm.text, /Please confirm: Forget worker/);
    assert.match(confirm.text, /name="confirmed" value="yes"/);
    assert.ok(await workerRow('doomed@gw-host'), 'nothing happens before the confirmation');
    const done = await agent
      .post('/flower/workers/doomed%40gw-host/forget')
      .set(USER)
      .type('form')
      .send({ _csrf: csrf, back: '/flower/', confirmed: 'yes' })
      .expect(303);
    assert.equal(done.headers.location, '/flower/');
    assert.equal(await workerRow('doomed@gw-host'), undefined);
    const home = await agent.get('/flower/').set(USER).expect(200);
    assert.match(home.text, /Forgot worker doomed@gw-host/);
    const [entry] = (await listAudit(fx.engine.client.redis, fx.engine.config, { action: 'worker.forget' })).entries;
    assert.equal(entry.outcome, 'accepted');
    assert.equal(entry.user, 'albert.einstein');
    assert.equal(entry.fields.worker, 'doomed@gw-host');
  });

  test('an online worker cannot be forgotten; a worker page shows its configuration, queues and tasks', async () => {
    await fx.engine.startWorker({ name: 'steady@gw-host' });
    const { agent, tokens } = await browser(fx.app);
    const { csrf } = await tokens('send_mock_event');
    const refused = await agent
      .post('/flower/workers/steady%40gw-host/forget')
      .set(USER)
      .set('Accept', 'application/json')
      .type('form')
      .send({ _csrf: csrf, confirmed: 'yes' })
      .expect(409);
    assert.match(refused.body.error, /is online/);
    const page = await request(fx.app).get('/flower/workers/steady%40gw-host').set(USER).expect(200);
    assert.match(page.text, /Configuration/);
    assert.match(page.text, /Heartbeat<\/dt><dd class="col-7">every 200 ms/);
    assert.match(page.text, /id="active-tasks"/);
    const api = (await request(fx.app).get('/flower/api/workers/steady%40gw-host').expect(200)).body;
    assert.equal(api.worker.status, 'online');
    assert.deepEqual(
      api.queues.map((q: { name: string }) => q.name),
      api.worker.queues,
    );
    await request(fx.app).get('/flower/workers/nobody').set(USER).expect(404);
  });
});
