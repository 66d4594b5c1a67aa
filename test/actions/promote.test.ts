// Promote a delayed task to run now (task.promote): the dashboard's task-row button, its JSON API and `gwqueue control promote` run one rule, audited.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, browser, API_TOKEN, type InProcess } from '../helpers/in-process.js';
import { runCli } from '../helpers/cli.js';
import { add } from '../../src/tasks/core.js';
import { listAudit } from '../../src/audit/audit-log.js';
import type { AsyncResult } from '../../src/queue/async-result.js';

describe('promote a delayed task', () => {
  let fx: InProcess;
  let env: Record<string, string>;
  /** An hour away: it runs in this test only if promoted. */
  const delayed = (x: number): Promise<AsyncResult> => fx.engine.client.apply(add.signature([x, 1], {}, { countdown: 3600 }));

  before(async () => {
    fx = await startInProcess({ app: true, env: CONSOLE_ACCESS });
    env = { REDIS_URL: fx.redis.url, GWQUEUE_PREFIX: fx.engine.config.prefix, GWQUEUE_ENV: 'test' };
    await fx.engine.startWorker({ name: 'promote@test' });
  });
  after(async () => {
    await fx?.stop();
  });

  test('from the dashboard: the delayed row offers "Run now", asks first without JavaScript, then the task runs', async () => {
    const task = await delayed(1);
    assert.equal(await task.state(), 'delayed');
    const session = await browser(fx.app);
    const page = await session.agent.get('/flower/tasks').set(session.headers).expect(200);
    const row = new RegExp(`<tr data-task-id="${task.id}" data-state="delayed"[\\s\\S]*?</tr>`).exec(page.text)?.[0] ?? '';
    assert.match(row, new RegExp(`action="/flower/tasks/${task.id}/promote"`), 'the row has the button');
    assert.match(row, />Run now</);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const post = (body: Record<string, string>) =>
      session.agent
        .post(`/flower/tasks/${task.id}/promote`)
        .set(session.headers)
        .type('form')
        .send({ _csrf: csrf, ...body });
    const confirm = await post({}).expect(200);
    assert.match(confirm.text, /Please confirm: Run delayed task now/);
    assert.equal(await task.state(), 'delayed', 'nothing before the confirmation');
    const done = await post({ confirmed: 'yes' }).expect(303);
    assert.equal(done.headers.location, '/flower/tasks');
    assert.equal(await task.get({ timeout: 10 }), 2, 'it ran now, not in an hour');
    // Finished: no button any more, and a second promotion is refused.
    const again = await post({ confirmed: 'yes' }).expect(409);
    assert.match(
      again.text,
      new RegExp(`Only a delayed task can be run now; task ${task.id} \\(gwqueue\\.tasks\\.core\\.add\\) is completed`),
    );
  });

  test('from the API and the terminal: the same rule, the same audit name', async () => {
    const task = await delayed(2);
    const json = await request(fx.app)
      .post(`/flower/tasks/${task.id}/promote`)
      .set('Authorization', `Bearer ${API_TOKEN}`)
      .set('Accept', 'application/json')
      .expect(200);
    assert.equal(json.body.ok, true);
    assert.match(json.body.message, new RegExp(`Task ${task.id} \\(gwqueue\\.tasks\\.core\\.add\\) runs now`));
    assert.equal(await task.get({ timeout: 10 }), 3);

    const refused = await runCli(['control', 'promote', task.id], env);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /Only a delayed task can be run now/);
    const unknown = await runCli(['control', 'promote', 'no-such-task'], env);
    assert.equal(unknown.code, 66, unknown.stderr);

    const third = await delayed(3);
    const cli = await runCli(['control', 'promote', third.id], env);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(await third.get({ timeout: 10 }), 4);

    const entries = (await listAudit(fx.engine.client.redis, fx.engine.config, { action: 'task.promote', limit: 50 })).entries.reverse();
    assert.deepEqual(
      entries.filter((e) => e.fields.id === task.id || e.fields.id === third.id).map((e) => [e.fields.id, e.outcome, e.fields.via]),
      [
        [task.id, 'accepted', 'dashboard'],
        [task.id, 'rejected', 'cli'],
        [third.id, 'accepted', 'cli'],
      ],
    );
  });
});
