// Task pages in depth: a failed task's error and stack, retry for authorized users only, 500 pages with and without stacks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startInProcess, CONSOLE_ACCESS, browser, type InProcess } from '../helpers/in-process.js';
import { createApp } from '../../src/web/app.js';
import { loadConfig } from '../../src/config/index.js';
import { keyOf } from '../../src/redis/keys.js';
import { listAudit } from '../../src/audit/audit-log.js';
import { raiseError, add, sleep } from '../../src/tasks/core.js';
import { chain } from '../../src/queue/canvas.js';
import { connectClient } from '../../src/queue/client.js';
import { setCurrentClient } from '../../src/queue/current-client.js';
import { defineTask } from '../../src/queue/registry.js';
import { eventually } from '../helpers/eventually.js';

// A task that stays active until its test releases it (the worker runs in this process): a test that needs a running
// task cannot then see it finish early on a slow machine, as a task that sleeps a fixed time could.
let releaseHeld: () => void = () => {};
let held = Promise.resolve();
const hold = defineTask({
  name: 'gwqueue.tests.pages.hold',
  description: 'Stays active until the test releases it.',
  params: {},
  async run() {
    await held;
    return 'released';
  },
});
/** Enqueues a held task: it runs until releaseHeld() is called. */
const holdTask = async () => {
  held = new Promise<void>((resolve) => (releaseHeld = resolve));
  return hold.delay();
};

describe('task pages', () => {
  let fx: InProcess;
  before(async () => {
    fx = await startInProcess({ app: true, env: { ...CONSOLE_ACCESS, GWQUEUE_ADMIN_USERS: 'ada.lovelace' } });
    await fx.engine.startWorker({ name: 'pages@test' });
  });
  let server: import('node:http').Server | undefined;
  /** The app on a real port (a client that hangs up needs a real connection). */
  const listen = async () => {
    server ??= fx.app.listen(0, '127.0.0.1');
    if (!server.listening) await new Promise((resolve) => server!.once('listening', resolve));
    return `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
  };
  /** A client besides the console's (a CLI, another console); the console's stays the current one, which `task.delay()` enqueues through. */
  const anotherClient = async () => {
    const client = await connectClient(fx.config);
    setCurrentClient(fx.engine.client);
    return client;
  };
  after(async () => {
    releaseHeld();
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await fx?.stop();
  });

  test('a failed task shows its error and stack; an authorized user retries it into a new task; a viewer gets 403', async () => {
    const failed = await raiseError.delay('the detector fell over');
    await assert.rejects(failed.get({ timeout: 10 }));
    const { agent, headers } = await browser(fx.app);
    const page = await agent.get(`/tasks/${failed.id}`).set(headers).expect(200);
    assert.match(page.text, /the detector fell over/);
    // The stack shows install paths and internals: admins only, on the page and in both JSON APIs.
    assert.doesNotMatch(page.text, /Stack trace/, 'an operator sees the error, not the stack');
    const admin = await browser(fx.app, 'ada.lovelace');
    assert.match((await admin.agent.get(`/tasks/${failed.id}`).set(admin.headers).expect(200)).text, /Stack trace/);
    for (const path of [`/api/tasks/${failed.id}`, `/flower/api/tasks/${failed.id}`]) {
      const anonymous = (await request(fx.app).get(path).expect(200)).body;
      assert.match(anonymous.error.message, /the detector fell over/);
      assert.equal(anonymous.error.stack, null, `${path}: no stack for a viewer`);
      const forAdmin = (await request(fx.app).get(path).set(admin.headers).expect(200)).body;
      assert.match(forAdmin.error.stack, /\n\s+at /, `${path}: the stack for an admin`);
    }
    assert.match(page.text, /Retry with the same arguments/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];

    const viewer = await browser(fx.app, 'mallory');
    const viewerPage = await viewer.agent.get(`/tasks/${failed.id}`).set(viewer.headers).expect(200);
    assert.doesNotMatch(viewerPage.text, /Retry with the same arguments/, 'viewers do not see the control');
    // A viewer gets no CSRF token (no session): their POST goes on to authorization, which refuses and audits it.
    assert.equal(/name="_csrf" value="([^"]*)"/.exec((await viewer.agent.get('/').set(viewer.headers)).text)![1], '');
    const refused = await viewer.agent.post(`/tasks/${failed.id}/retry`).set(viewer.headers).type('form').send({}).expect(403);
    assert.match(refused.text, /not allowed to retry tasks/);

    const retried = await agent.post(`/tasks/${failed.id}/retry`).set(headers).type('form').send({ _csrf: csrf }).expect(303);
    const newId = retried.headers.location.split('/').pop()!;
    assert.notEqual(newId, failed.id);
    const info = await eventually(
      async () => {
        const res = await request(fx.app).get(`/api/tasks/${newId}`).expect(200);
        return res.body.state === 'failed' ? res.body : undefined;
      },
      10_000,
      'the retried task to run',
    );
    assert.deepEqual(info.args, ['the detector fell over'], 'same arguments');
    assert.equal(info.submittedBy, 'albert.einstein');
    const audit = await listAudit(fx.engine.client.redis, fx.engine.config, { action: 'task.retry' });
    assert.deepEqual(audit.entries.map((e) => e.outcome).sort(), ['accepted', 'unauthorized']);
  });

  test('a completed chain lists its steps; retrying a task that did not fail is refused', async () => {
    const handle = await fx.engine.client.apply(chain(add.s(1, 2), add.s(3)));
    assert.equal(await handle.get({ timeout: 10 }), 6);
    const page = await request(fx.app).get(`/tasks/${handle.id}`).expect(200);
    assert.match(page.text, /data-finished="true"/);
    assert.equal((page.text.match(/href="\/tasks\/[0-9a-f-]{36}">gwqueue\.tasks\.core\.add</g) ?? []).length, 2);
    const json = await request(fx.app).get(`/api/tasks/${handle.id}`).expect(200);
    assert.equal(json.body.result, 6);
    assert.equal(json.body.steps.length, 2);
    const { agent, headers } = await browser(fx.app);
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await agent.get('/').set(headers)).text)![1];
    const refused = await agent.post(`/tasks/${handle.id}/retry`).set(headers).type('form').send({ _csrf: csrf }).expect(409);
    assert.match(refused.text, /Only a failed task can be retried/);
  });

  test('a client without a cookie polling JSON gets no session (nothing stored in Redis); an HTML page still gets one with its CSRF token', async () => {
    const handle = await fx.engine.client.apply(add.s(2, 2));
    await handle.get({ timeout: 10 });
    const sessions = async () => (await fx.engine.client.redis.keys(`${keyOf(fx.engine.config, 'session')}:*`)).length;
    const before = await sessions();
    for (const path of [`/api/tasks/${handle.id}`, '/flower/api/workers', '/api/tasks/00000000-0000-4000-8000-000000000000']) {
      const res = await request(fx.app).get(path);
      assert.ok([200, 404].includes(res.status), `${path}: ${res.status}`);
      assert.equal(res.headers['set-cookie'], undefined, `${path} set a cookie`);
    }
    assert.equal(await sessions(), before, 'no session was stored for JSON answers');
    const page = await request(fx.app).get('/').set('X-Proxy-Remote-User', 'albert.einstein').expect(200);
    assert.match(String(page.headers['set-cookie']), /gwqueue\.sid=/);
    assert.match(page.text, /name="_csrf" value="[^"]{20,}"/);
    assert.equal(await sessions(), before + 1);
  });

  test('a damaged task record gives a 500 page: with the stack in development, without it in production', async () => {
    const handle = await add.delay(1, 1);
    await handle.get({ timeout: 10 });
    // A broken record, as after a bad manual edit in Redis: its data is not JSON.
    await fx.engine.client.redis.hset(keyOf(fx.engine.config, 'celery', handle.id), 'data', '{not json');
    const production = loadConfig({
      ...Object.fromEntries(Object.entries(process.env)),
      GWQUEUE_ENV: 'production',
      GWQUEUE_SECRET_KEY: 'a'.repeat(32),
      REDIS_URL: fx.redis.url,
      GWQUEUE_PREFIX: fx.engine.config.prefix,
      GWQUEUE_LOCAL_USER: 'false',
    });
    const development = loadConfig({ GWQUEUE_ENV: 'development', REDIS_URL: fx.redis.url, GWQUEUE_PREFIX: fx.engine.config.prefix });
    for (const [config, showsStack] of [
      [production, false],
      [development, true],
    ] as const) {
      const app = createApp({ config, client: fx.engine.client, gracedb: fx.gracedb, listenHost: '127.0.0.1' });
      const res = await request(app).get(`/tasks/${handle.id}`).expect(500);
      assert.match(res.text, /Something went wrong on our side/);
      assert.equal(/\n\s+at /.test(res.text), showsStack, `stack shown: ${showsStack}`);
    }
  });

  test('/api/tasks/:id?wait=S answers as soon as the task finishes, or after S seconds with its current state', async () => {
    const timed = async (path: string) => {
      const started = Date.now();
      const res = await request(fx.app).get(path).expect(200);
      return { body: res.body as { state: string; result: unknown; finished: boolean }, ms: Date.now() - started };
    };
    const quick = await sleep.delay(0.6);
    const done = await timed(`/api/tasks/${quick.id}?wait=10`);
    assert.deepEqual([done.body.state, done.body.result, done.body.finished], ['completed', 0.6, true]);
    // The lower bound holds on any machine (the task sleeps 0.6 s); the upper one only has to tell the answer from
    // the full 10 s wait, with room for a loaded machine.
    assert.ok(done.ms >= 300 && done.ms < 8000, `answered when the task finished (${done.ms} ms), not at once nor after 10 s`);

    const again = await timed(`/api/tasks/${quick.id}?wait=10`);
    assert.ok(again.ms < 5000, `a finished task is answered at once (${again.ms} ms), not after the 10 s wait`);

    // Held, the task is still running whatever the load: the answers below cannot come from its end.
    const slow = await holdTask();
    await eventually(async () => (await slow.info()).state === 'active', 10_000, 'the held task to start');
    const cut = await timed(`/api/tasks/${slow.id}?wait=0.5`);
    assert.equal(cut.body.state, 'active');
    assert.equal(cut.body.finished, false);
    assert.ok(cut.ms >= 450 && cut.ms < 8000, `answered after the 0.5 s wait (${cut.ms} ms), not after 10 s`);
    const none = await timed(`/api/tasks/${slow.id}?wait=0`);
    assert.ok(none.ms < 5000 && none.body.state === 'active', `wait=0 does not wait (${none.ms} ms)`);
    releaseHeld();
    assert.equal(await slow.get({ timeout: 10 }), 'released');

    const failing = await raiseError.delay('late failure');
    const failed = await timed(`/api/tasks/${failing.id}?wait=10`);
    assert.equal(failed.body.state, 'failed', 'a failure ends the wait too');
    await request(fx.app).get('/api/tasks/00000000-0000-4000-8000-000000000000?wait=10').expect(404);
  });

  test("a task's page reads it whoever enqueued it, and one removed after is unknown, though this console enqueued it", async () => {
    // Enqueued through the console's client, which remembers its queue; and through another (a CLI, another console).
    const own = await add.delay(1, 2);
    const other = await anotherClient();
    try {
      const theirs = await other.apply(add.s(3, 4));
      for (const [id, sum] of [
        [own.id, 3],
        [theirs.id, 7],
      ] as const) {
        const read = await request(fx.app).get(`/api/tasks/${id}?wait=10`).expect(200);
        assert.deepEqual([read.body.state, read.body.result], ['completed', sum]);
      }
      await fx.engine.client.queue((await fx.engine.client.queueOf(own.id))!).remove(own.id);
      await request(fx.app).get(`/api/tasks/${own.id}`).expect(404);
      await request(fx.app).get(`/api/tasks/${own.id}?wait=10`).expect(404);
    } finally {
      await other.close();
    }
  });

  test("?wait: a queue's event stream nobody waits on is closed after a while, and opened again by the next waiter", async () => {
    // A console of its own (its own client, so no stream of the other tests' is its): streams are counted in Redis.
    const client = await anotherClient();
    client.eventsIdleMs = 200;
    const app = createApp({ config: fx.config, client, gracedb: fx.gracedb, listenHost: '127.0.0.1' });
    const readers = async () => {
      const list = String(await fx.engine.client.redis.call('CLIENT', 'LIST'));
      return list.split('\n').filter((line) => / cmd=xread\b/.test(line)).length;
    };
    try {
      const others = await readers();
      for (const round of [1, 2]) {
        const slow = await holdTask();
        const answered = request(app)
          .get(`/api/tasks/${slow.id}?wait=10`)
          .then((res) => res.body.state);
        await eventually(async () => (await readers()) === others + 1, 10_000, `round ${round}: the event stream to be read`);
        releaseHeld();
        assert.equal(await answered, 'completed', `round ${round}: the waiter is answered when its task ends`);
        await eventually(async () => (await readers()) === others, 10_000, `round ${round}: the idle event stream to be closed`);
      }
    } finally {
      await client.close();
    }
  });

  test('?wait: many waiters are each answered when their task ends, and a client that leaves leaves no listener behind', async () => {
    const handles = await Promise.all(Array.from({ length: 12 }, (_, i) => sleep.delay(0.2 + (i % 3) * 0.1)));
    const answers = await Promise.all(handles.map((h) => request(fx.app).get(`/api/tasks/${h.id}?wait=10`).expect(200)));
    assert.deepEqual(
      answers.map((a) => a.body.state),
      handles.map(() => 'completed'),
    );

    // Held, the task cannot end (and take its listeners away) before the waiter is seen listening, however slow the machine.
    const slow = await holdTask();
    const events = fx.engine.client.events((await fx.engine.client.queueOf(slow.id))!) as unknown as import('node:events').EventEmitter;
    const listeners = () => events.listenerCount(`completed:${slow.id}`) + events.listenerCount(`failed:${slow.id}`);
    const leaving = new AbortController();
    const gone = fetch(`${await listen()}/api/tasks/${slow.id}?wait=10`, { signal: leaving.signal }).catch((error: Error) => error.name);
    await eventually(async () => listeners() === 2, 10_000, 'the waiter to listen');
    leaving.abort();
    assert.equal(await gone, 'AbortError');
    await eventually(async () => listeners() === 0, 10_000, 'the listeners to be removed once the client left');
    releaseHeld();
    assert.equal(await slow.get({ timeout: 10 }), 'released');
  });
});
