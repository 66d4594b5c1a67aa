// Redis SIGKILLed mid-stream and restarted from its AOF: accepted forms run exactly once, the rest get 503, all recover.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/in-process.js';
import { eventually, sleep } from '../helpers/eventually.js';
import { startCli } from '../helpers/cli.js';
import { startConsoleProcess, type ConsoleProcess } from '../helpers/real-processes.js';
import { EmbeddedGraceDb, dateToGps } from '../../src/gracedb/index.js';
import { seedAlertReadySuperevent } from '../helpers/superevents.js';
import { bullPrefix } from '../../src/redis/keys.js';
import { listAlerts } from '../../src/alerts/outbox.js';
import { listAudit } from '../../src/audit/audit-log.js';
import type { Config } from '../../src/config/index.js';
import { drawMockSource, mockSkymap } from '../../src/tasks/mock-event-files.js';

const TOKEN = 'reliability-token-0123456789abcdef';
const QUEUED = 'User robot queued a Preliminary alert through the dashboard.';
const BROWSER_QUEUED = 'User albert.einstein queued a Preliminary alert through the dashboard.';
const TASK_URL = /^\/tasks\/([0-9a-f-]{36})$/;

interface Submission {
  superevent: string;
  event: string;
  via: 'api-303' | 'api-202' | 'browser';
  phase: 'before' | 'inflight' | 'down' | 'after';
  status: number;
  ms: number;
  id?: string;
  /** A 503 that says it is not known whether the form was submitted (the enqueue went out, no answer came). */
  uncertain?: boolean;
}

type Child = Awaited<ReturnType<typeof startCli>>;

describe('Redis restart under a stream of submissions', () => {
  let redis: TestRedis;
  let client: Redis;
  let store: EmbeddedGraceDb;
  let web: ConsoleProcess | undefined;
  const workers: Child[] = [];
  let config: Config;
  let env: Record<string, string>;

  before(async () => {
    redis = await startRedis({ appendOnly: true });
    const cfg = (config = testConfig(redis.url));
    env = {
      REDIS_URL: redis.url,
      GWQUEUE_PREFIX: cfg.prefix,
      GWQUEUE_ENV: 'test',
      GWQUEUE_API_TOKENS: `robot=${TOKEN}`,
      GWQUEUE_TRUSTED_PROXIES: '127.0.0.1',
      GWQUEUE_AUTHORIZED_USERS: 'albert.einstein',
      // The outage below lasts a few seconds: locks outlive it, as the 30 s default does in production.
      GWQUEUE_LOCK_DURATION_MS: '10000',
      GWQUEUE_HEARTBEAT_MS: '300',
      GWQUEUE_RETRY_BACKOFF_MS: '100',
    };
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    client.on('error', () => {});
    store = new EmbeddedGraceDb(client, bullPrefix(cfg));
  });
  after(async () => {
    await web?.stop();
    for (const worker of workers) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    client?.disconnect();
    await redis?.stop();
  });

  async function http(path: string, init: RequestInit = {}): Promise<{ status: number; body: string; headers: Headers; ms: number }> {
    const started = Date.now();
    const res = await fetch(web!.url + path, { redirect: 'manual', signal: AbortSignal.timeout(15_000), ...init }).catch((error: Error) => {
      throw new Error(
        `${init.method ?? 'GET'} ${path}: ${error.message} (${String((error.cause as Error | undefined)?.message)}); console exit ${web!.child.exitCode}:\n${web!.output().slice(-3000)}`,
      );
    });
    return { status: res.status, body: await res.text(), headers: res.headers, ms: Date.now() - started };
  }

  const api = (path: string) => http(path, { headers: { authorization: `Bearer ${TOKEN}`, accept: 'application/json' } });

  /** One submission of send_preliminary_gcn: API (303 or 202 JSON) or browser (GET / for the tokens, then POST). */
  async function submit(
    target: { superevent: string; event: string },
    via: Submission['via'],
    phase: Submission['phase'],
  ): Promise<Submission> {
    const form = new URLSearchParams({ superevent_id: target.superevent, event_id: target.event });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (via === 'browser') {
      headers['x-proxy-remote-user'] = 'albert.einstein';
      const home = await http('/', { headers: { 'x-proxy-remote-user': 'albert.einstein' } });
      if (home.status !== 200) return { ...target, via, phase, status: home.status, ms: home.ms };
      headers.cookie = (home.headers.getSetCookie?.() ?? []).map((cookie) => cookie.split(';')[0]).join('; ');
      const section = home.body.slice(home.body.indexOf('action="/send_preliminary_gcn"'));
      form.set('_csrf', /name="_csrf" value="([^"]*)"/.exec(section)?.[1] ?? '');
      form.set('submission_token', /name="submission_token" value="([^"]+)"/.exec(section)?.[1] ?? '');
      form.set('confirmed', 'yes');
    } else {
      headers.authorization = `Bearer ${TOKEN}`;
      if (via === 'api-202') headers.accept = 'application/json';
    }
    const res = await http('/send_preliminary_gcn', { method: 'POST', headers, body: form.toString() });
    const submission: Submission = { ...target, via, phase, status: res.status, ms: res.ms };
    if (res.status === 303) submission.id = TASK_URL.exec(res.headers.get('location') ?? '')?.[1];
    if (res.status === 202) submission.id = (JSON.parse(res.body) as { id: string }).id;
    if (res.status === 503) submission.uncertain = /not known whether/.test(res.body);
    return submission;
  }

  test('accepted submissions complete exactly once, the others get 503, console and workers recover by themselves', async (t) => {
    const skymap = mockSkymap(drawMockSource(dateToGps(new Date())), 'S0');
    const targets: { superevent: string; event: string }[] = [];
    for (let index = 0; index < 150; index++) targets.push(await seedAlertReadySuperevent(store, index, skymap));
    const next = () => targets.shift() ?? assert.fail('ran out of seeded superevents');
    const kinds: Submission['via'][] = ['api-303', 'api-202', 'api-303', 'browser'];
    let turn = 0;
    const nextKind = () => kinds[turn++ % kinds.length];

    web = await startConsoleProcess(env);
    for (const name of ['one', 'two']) workers.push(await startCli(['worker', '-n', `${name}@restart`, '-c', '2'], env, /consuming/));
    const pids = { web: web.child.pid, workers: workers.map((worker) => worker.child.pid) };
    await eventually(async () => (await http('/readyz')).status === 200, 15_000, '/readyz 200 before the outage');

    const submissions: Submission[] = [];
    // Before: a steady stream; the outage starts while the first tasks are still running.
    for (let i = 0; i < 8; i++) submissions.push(await submit(next(), nextKind(), 'before'));
    // The last ones at once, and Redis dies right after they are accepted: their chains are still queued or running.
    submissions.push(...(await Promise.all(Array.from({ length: 6 }, () => submit(next(), 'api-202', 'before')))));
    const q = (state: string) => client.llen(`${bullPrefix(config)}:default:${state}`);
    t.diagnostic(`at the kill: active ${await q('active')}, waiting ${await q('wait')}`);
    assert.ok(
      submissions.every((s) => s.status === 303 || s.status === 202),
      `before the outage: ${submissions.map((s) => s.status)}`,
    );

    // A second stream keeps going through the kill: its requests may be in flight when Redis dies.
    let streaming = true;
    const inflight = (async () => {
      const out: Submission[] = [];
      while (streaming) {
        out.push(await submit(next(), 'api-202', 'inflight'));
        await sleep(out.at(-1)!.status === 503 ? 150 : 0);
      }
      return out;
    })();
    await sleep(200);
    // Whether Redis had held back AOF writes (its disk busy) just before the kill: such writes die with the process.
    const aofAtKill = /aof_delayed_fsync:\d+/.exec(await client.info('persistence'))?.[0];
    await redis.kill();
    const downSince = Date.now();
    const down: Submission[] = [];
    while (Date.now() - downSince < 1500) {
      down.push(await submit(next(), nextKind(), 'down'));
      await sleep(100);
    }
    const readyWhileDown = await http('/readyz');
    const healthWhileDown = await http('/healthz');
    streaming = false;
    submissions.push(...down, ...(await inflight));
    await redis.restart();

    // After: keep submitting; 503 is fine until the console has reconnected, anything else is not.
    const afterRestart: Submission[] = [];
    const restartedAt = Date.now();
    while (afterRestart.filter((s) => s.id).length < 12) {
      assert.ok(
        Date.now() - restartedAt < 20_000,
        `the console did not accept submissions again within 20 s: ${afterRestart.map((s) => s.status)}`,
      );
      const s = await submit(next(), nextKind(), 'after');
      afterRestart.push(s);
      if (!s.id) await sleep(100);
    }
    submissions.push(...afterRestart);

    const tally = (phase: Submission['phase']) =>
      submissions
        .filter((s) => s.phase === phase)
        .map((s) => `${s.status}${s.uncertain ? '?' : ''}`)
        .join(' ');
    t.diagnostic(
      `before: ${tally('before')} | in flight: ${tally('inflight')} | down: ${tally('down')} | after: ${tally('after')} (503? = not known whether submitted)`,
    );
    // While Redis was down: 503 at once (no 500, no hang), nothing accepted; /healthz still answers, /readyz does not pass.
    assert.ok(down.length >= 3, `only ${down.length} submissions during the outage`);
    for (const s of down) assert.equal(s.status, 503, `${s.via} during the outage answered ${s.status}`);
    assert.ok(
      down.every((s) => s.ms < 5000),
      `slow 503s: ${down.map((s) => s.ms)}`,
    );
    assert.equal(readyWhileDown.status, 503);
    assert.equal(healthWhileDown.status, 200);
    for (const s of submissions) assert.ok([303, 202, 503].includes(s.status), `${s.via} (${s.phase}) answered ${s.status}`);
    for (const s of submissions) if (s.status !== 503) assert.ok(s.id, `${s.via} answered ${s.status} without a task ID`);
    assert.ok(
      submissions.some((s) => s.via === 'browser' && s.id && s.phase === 'after'),
      'a browser submission went through after the restart',
    );

    // Every accepted submission completes; its steps ran once each.
    const accepted = submissions.filter((s) => s.id);
    const attempts: number[] = [];
    for (const s of accepted) {
      let seen = '';
      const info = await eventually(
        async () => {
          const res = await api(`/api/tasks/${s.id}`);
          seen = `${res.status} ${res.body.slice(0, 600)}`;
          const body = JSON.parse(res.body) as { state: string; steps: { id: string; state: string }[]; worker: string };
          return res.status === 200 && ['completed', 'failed'].includes(body.state) ? body : undefined;
        },
        30_000,
        `task ${s.id} (${s.phase}) to finish`,
      ).catch(async (error: Error) => {
        const counts = await Promise.all(['wait', 'active', 'delayed'].map(q));
        throw new Error(
          `${error.message}; the task API answered ${seen}; default queue wait/active/delayed ${counts}; ` +
            `Redis at the kill: ${aofAtKill}`,
        );
      });
      assert.equal(info.state, 'completed', `task ${s.id} (${s.superevent}, ${s.phase}) ended ${info.state}`);
      assert.deepEqual(
        info.steps.map((step) => step.state),
        ['completed', 'completed', 'completed'],
      );
      for (const step of info.steps)
        attempts.push((JSON.parse((await api(`/api/tasks/${step.id}`)).body) as { attempts: number }).attempts);
    }

    // Exactly once, by what each step leaves behind: one "queued" log (step 1), one set of copied files, one alert
    // in the outbox, one circular draft (step 3) per accepted submission; none at all for a refused one.
    const alerts = await listAlerts(client, config, { count: 10_000 });
    for (const s of submissions) {
      const comments = (await store.getLogs(s.superevent)).map((log) => log.comment);
      const count = (text: string | RegExp) =>
        comments.filter((comment) => (typeof text === 'string' ? comment === text : text.test(comment))).length;
      const sent = alerts.filter((alert) => alert.superevent_id === s.superevent && alert.alert_type === 'PRELIMINARY').length;
      const what = `${s.superevent} (${s.via}, ${s.phase}, ${s.status}${s.uncertain ? ', not known' : ''})`;
      // A 503 that said "nothing was submitted" must have left nothing; one that said it is not known may have been
      // done, but then exactly once, completely.
      const queuedLogs = count(s.via === 'browser' ? BROWSER_QUEUED : QUEUED);
      if (s.uncertain) assert.ok(queuedLogs <= 1, `"queued" logs on ${what}: ${comments.join(' | ')}`);
      const once = s.id ? 1 : s.uncertain ? queuedLogs : 0;
      assert.equal(count(s.via === 'browser' ? BROWSER_QUEUED : QUEUED), once, `"queued" logs on ${what}: ${comments.join(' | ')}`);
      assert.equal(count(/^Localization copied from/), once, `sky map copies on ${what}`);
      assert.equal(sent, once, `PRELIMINARY alerts in the outbox for ${what}`);
      assert.equal(count('Template for preliminary GCN Circular'), once, `circular drafts on ${what}`);
    }
    // A step whose own Redis call failed while Redis was down is retried (a transient error): that is allowed, as long
    // as what it leaves behind is there once (checked above). It must not loop.
    t.diagnostic(
      `steps run more than once (retried after a transient error): ${attempts.filter((n) => n > 1).length} of ${attempts.length}`,
    );
    assert.ok(
      attempts.every((n) => n <= 2),
      `a step needed more than two runs: ${attempts}`,
    );

    // Every accepted submission keeps its audit entry, once, even one whose entry Redis refused around the kill (it is
    // written once Redis is back); no key (browser form token) is left "pending".
    const audited = await eventually(
      async () => {
        const entries = (await listAudit(client, config, { action: 'form.send_preliminary_gcn', limit: 500 })).entries.filter(
          (e) => e.outcome === 'accepted',
        );
        return accepted.every((s) => entries.some((e) => e.taskId === s.id)) ? entries : undefined;
      },
      15_000,
      'an audit entry for every accepted submission',
    );
    for (const s of accepted) assert.equal(audited.filter((e) => e.taskId === s.id).length, 1, `audit entries of ${s.id}`);
    const claims = await Promise.all((await client.keys(`${bullPrefix(config)}:submission:*`)).map((key) => client.get(key)));
    // A form whose enqueue went out unanswered ("not known") keeps its claim for its resubmission, by design.
    const unknown = submissions.filter((s) => s.uncertain && s.via === 'browser').length;
    assert.ok(claims.filter((claim) => claim?.includes('"pending"')).length <= unknown, 'claims left pending');

    // The same processes throughout: never restarted, and the workers ran tasks submitted after the restart.
    assert.equal(web.child.exitCode, null);
    assert.equal((JSON.parse((await http('/healthz')).body) as { pid: number }).pid, pids.web);
    for (const worker of workers) assert.equal(worker.child.exitCode, null, 'worker still running');
    assert.deepEqual(
      workers.map((worker) => worker.child.pid),
      pids.workers,
    );
    const lastInfo = JSON.parse((await api(`/api/tasks/${afterRestart.filter((s) => s.id).at(-1)!.id}`)).body) as { worker: string };
    assert.match(lastInfo.worker, /^(one|two)@restart$/);
    await eventually(async () => (await http('/readyz')).status === 200, 15_000, '/readyz 200 after the restart');
  });
});
