// A Sentinel failover under load: master + replica + three Sentinels, a real console and worker; the master is SIGKILLed while its replica is cut off, and every submission ends exactly once with no accepted one lost.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startSentinelGroup, type SentinelGroup } from '../helpers/redis-sentinel.js';
import { eventually, testConfig } from '../helpers/engine.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startConsoleProcess, type ConsoleProcess } from '../helpers/console-process.js';
import { EmbeddedGraceDb, dateToGps } from '../../src/gracedb/index.js';
import { bullPrefix } from '../../src/redis/keys.js';
import { listAlerts } from '../../src/alerts/outbox.js';
import type { Config } from '../../src/config/index.js';
import { coincXml, drawMockSource, emBright, mockSkymap, pAstro } from '../../src/tasks/mock-event-files.js';

const TOKEN = 'sentinel-token-0123456789abcdef';
const QUEUED = 'User robot queued a Preliminary alert through the dashboard.';
/** REDIS_COMMAND_TIMEOUT_MS (2 s) plus the replica wait (1 s) and a loaded machine's margin. */
const ANSWER_BOUND_MS = 5000;
const CLIENTS = 4;

interface Answer {
  key: string;
  superevent: string;
  status: number;
  ms: number;
  at: number;
  body: Record<string, unknown>;
}

interface Target {
  superevent: string;
  event: string;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis Sentinel failover under a stream of API submissions', () => {
  let group: SentinelGroup;
  let direct: Redis;
  let store: EmbeddedGraceDb;
  let config: Config;
  let env: Record<string, string>;
  let web: ConsoleProcess | undefined;
  let worker: Awaited<ReturnType<typeof startCli>> | undefined;

  before(async () => {
    // Sentinel takes a silent master for dead after 1 s: the failover is over within a few seconds.
    group = await startSentinelGroup({ downAfterMs: 1000, failoverTimeoutMs: 5000 });
    const sentinels = group.sentinelPorts.map((port) => ({ host: '127.0.0.1', port }));
    config = testConfig('redis://127.0.0.1:6379');
    env = {
      REDIS_SENTINELS: group.sentinels,
      REDIS_SENTINEL_NAME: group.name,
      GWQUEUE_PREFIX: config.prefix,
      GWQUEUE_API_TOKENS: `robot=${TOKEN}`,
      // A task whose lock was on the lost master is picked up again on the new one after this.
      GWQUEUE_LOCK_DURATION_MS: '5000',
      GWQUEUE_HEARTBEAT_MS: '300',
      GWQUEUE_RETRY_BACKOFF_MS: '100',
    };
    // The test's own view follows the master the same way (Sentinel mode), waiting through the failover.
    direct = new Redis({ sentinels, name: group.name, maxRetriesPerRequest: null });
    direct.on('error', () => {});
    store = new EmbeddedGraceDb(direct, bullPrefix(config));
  });
  after(async () => {
    await web?.stop();
    if (worker) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    direct?.disconnect();
    await group?.stop();
  });

  /** An MDC superevent whose preferred event has its sky map, em_bright and p_astro: ready for a Preliminary alert. */
  async function seedSuperevent(index: number, skymap: Buffer): Promise<Target> {
    const source = drawMockSource(dateToGps(new Date('2025-01-01T00:00:00Z')) + index * 10);
    const event = await store.createEvent({
      group: 'CBC',
      pipeline: 'gstlal',
      search: 'MDC',
      filename: 'coinc.xml',
      filecontents: coincXml(source),
    });
    const id = event.graceid;
    await store.writeLog(id, 'sky map', { filename: 'bayestar.multiorder.fits', filecontents: skymap, tags: ['sky_loc'] });
    await store.writeLog(id, 'em_bright', {
      filename: 'em_bright.json',
      filecontents: JSON.stringify(emBright(source)),
      tags: ['em_bright'],
    });
    await store.writeLog(id, 'p_astro', { filename: 'p_astro.json', filecontents: JSON.stringify(pAstro(source)), tags: ['p_astro'] });
    for (const label of ['SKYMAP_READY', 'EMBRIGHT_READY', 'PASTRO_READY']) await store.createLabel(label, id);
    const superevent = await store.createSuperevent({
      t_start: source.gpstime - 1,
      t_0: source.gpstime,
      t_end: source.gpstime + 1,
      preferred_event: id,
      category: 'mdc',
    });
    return { superevent: superevent.superevent_id, event: id };
  }

  async function submit(target: Target, key: string): Promise<Answer> {
    const started = Date.now();
    const done = (status: number, body: Record<string, unknown>): Answer => ({
      key,
      superevent: target.superevent,
      status,
      ms: Date.now() - started,
      at: Date.now(),
      body,
    });
    try {
      const res = await fetch(`${web!.url}/send_preliminary_gcn`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
          'idempotency-key': key,
        },
        body: new URLSearchParams({ superevent_id: target.superevent, event_id: target.event }).toString(),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { text: text.slice(0, 300) };
      }
      return done(res.status, body);
    } catch (error) {
      return done(0, { error: String(error) });
    }
  }

  const api = async (path: string) => {
    const res = await fetch(web!.url + path, { headers: { authorization: `Bearer ${TOKEN}`, accept: 'application/json' } });
    return { status: res.status, body: await res.text() };
  };

  /** The tasks operators see (a chain's last step is its root), as the master in charge now has them. */
  async function rootTasks(redis: Redis): Promise<string[]> {
    const ids: string[] = [];
    for (const key of await redis.keys(`${bullPrefix(config)}:*:*`)) {
      const match = /:([0-9a-f-]{36})$/.exec(key);
      if (!match || (await redis.type(key)) !== 'hash') continue;
      const data = await redis.hget(key, 'data');
      if (data && (JSON.parse(data) as { meta?: { rootId?: string } }).meta?.rootId === match[1]) ids.push(match[1]);
    }
    return ids;
  }

  /** Reads one server directly (not through the Sentinels). */
  async function onServer<T>(port: number, read: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    try {
      return await read(redis);
    } finally {
      redis.disconnect();
    }
  }

  /** Idempotency claims by key, as one server has them. */
  const claims = (port: number) =>
    onServer(port, async (redis) => {
      const out = new Map<string, string>();
      const prefix = `${bullPrefix(config)}:submission:`;
      for (const key of await redis.keys(`${prefix}*`)) out.set(key.slice(prefix.length), (await redis.get(key)) ?? '');
      return out;
    });

  test('the console and worker follow the new master; every 202 completes once, every 503 resubmitted ends once, no 202 lost', async (t) => {
    const skymap = mockSkymap(drawMockSource(dateToGps(new Date())), 'S0');
    const targets: Target[] = [];
    for (let index = 0; index < 120; index++) targets.push(await seedSuperevent(index, skymap));
    const firstMaster = (await group.masterPort())!;
    assert.equal(firstMaster, group.servers[0].port);
    const replica = group.servers[1];

    web = await startConsoleProcess(env);
    worker = await startCli(['worker', '-n', 'one@sentinel', '-c', '4'], env, /consuming/);
    const pids = { web: web.child.pid, worker: worker.child.pid };
    await eventually(async () => (await fetch(`${web!.url}/readyz`)).status === 200, 15_000, '/readyz 200 before the failover');

    // Bounded load: CLIENTS clients, each with one key at a time, resubmitting the same key after a 503 until it is
    // answered 202 (or 200 duplicate); they stop taking new keys when told.
    const answers: Answer[] = [];
    const keyOf = new Map<string, Target>();
    let taking = true;
    const client = async () => {
      while (taking) {
        const target = targets.shift();
        if (!target) break;
        const key = randomUUID();
        keyOf.set(key, target);
        const deadline = Date.now() + 60_000;
        for (;;) {
          const answer = await submit(target, key);
          answers.push(answer);
          if (answer.status === 202 || answer.status === 200) break;
          assert.ok(Date.now() < deadline, `key ${key} not accepted within 60 s: ${answer.status} ${JSON.stringify(answer.body)}`);
          await pause(200);
        }
        await pause(30);
      }
    };
    const accepted = () => answers.filter((a) => a.status === 202).length;
    const load = Promise.all(Array.from({ length: CLIENTS }, client));

    await eventually(() => accepted() >= 12, 30_000, '12 submissions accepted before the fault');
    assert.ok(
      answers.filter((a) => a.status === 202).every((a) => a.body.replicas === 1),
      `202s before the fault must say one replica has them: ${JSON.stringify(answers.map((a) => a.body.replicas))}`,
    );
    // The asynchronous replication window, held open: the replica loses its link to the master and cannot get it
    // back (a wrong masterauth makes its handshake fail), while the master keeps taking writes and the Sentinels still
    // count the replica as one they could promote. Without a wait for a replica, those submissions would be answered
    // 202 and lost in the failover; here they wait (REDIS_REPLICA_WAIT_MS) and are answered 503 "not known".
    await onServer(replica.port, async (redis) => {
      await redis.config('SET', 'masterauth', 'not-the-masters-password');
      await redis.client('KILL', 'TYPE', 'master');
    });
    const brokenAt = Date.now();
    await eventually(() => answers.some((a) => a.at > brokenAt + 200 && a.status === 503), 10_000, 'a 503 while the replica is cut off');
    await pause(1000);
    // What the master holds and the replica does not: every claim and task on it, just before it dies.
    const onOldMaster = await claims(firstMaster);
    const tasksOnOldMaster = await onServer(firstMaster, rootTasks);
    await group.kill(firstMaster);
    const killedAt = Date.now();
    const newMaster = await group.waitForNewMaster(firstMaster, 30_000);
    const failedOverAt = Date.now();
    assert.equal(newMaster, replica.port);
    const tasksAtFailover = await onServer(newMaster, rootTasks);

    // Keep the load on until the console has taken 12 submissions on the new master, then let the clients finish.
    await eventually(
      () => answers.filter((a) => a.status === 202 && a.at > failedOverAt).length >= 12,
      30_000,
      '12 accepted after the failover',
    );
    const firstAcceptedAfter = Math.min(...answers.filter((a) => a.status === 202 && a.at > killedAt).map((a) => a.at));
    taking = false;
    await load;

    // Every key ended with one answer naming a task; the 202s are the ones whose task a lost master could have taken.
    const byKey = new Map<string, Answer[]>();
    for (const a of answers) byKey.set(a.key, [...(byKey.get(a.key) ?? []), a]);
    for (const a of answers) assert.ok([202, 200, 503].includes(a.status), `answered ${a.status}: ${JSON.stringify(a.body)}`);
    const finals = [...byKey.values()].map((list) => list.at(-1)!);
    for (const f of finals) assert.ok(typeof f.body.id === 'string', `key ${f.key} ended without a task: ${JSON.stringify(f.body)}`);
    const unknown503 = answers.filter((a) => a.status === 503 && a.body.submitted === 'unknown');
    const known503 = answers.filter((a) => a.status === 503 && a.body.submitted === false);
    for (const a of answers.filter((x) => x.status === 503))
      assert.ok(a.body.submitted === 'unknown' || a.body.submitted === false, `a 503 that says neither: ${JSON.stringify(a.body)}`);

    // The tasks on the new master: one per key, none lost, none doubled, all completed by the worker that was there before.
    const tasks = await rootTasks(direct);
    const finalIds = new Set(finals.map((f) => f.body.id as string));
    const lost202 = answers.filter((a) => a.status === 202 && !tasks.includes(a.body.id as string));
    for (const id of finalIds) {
      const info = await eventually(
        async () => {
          const res = await api(`/api/tasks/${id}`);
          const body = JSON.parse(res.body) as { state: string; worker?: string };
          return res.status === 200 && ['completed', 'failed'].includes(body.state) ? body : undefined;
        },
        30_000,
        `task ${id} to finish`,
      );
      assert.equal(info.state, 'completed', `task ${id} ended ${info.state}`);
    }
    // One "queued" log and one PRELIMINARY alert per key's superevent; none for a superevent that was not submitted.
    const alerts = await listAlerts(direct, config, { count: 10_000 });
    let duplicatesFound = 0;
    for (const [key, target] of keyOf) {
      const logs = (await store.getLogs(target.superevent)).filter((log) => log.comment === QUEUED).length;
      const sent = alerts.filter((alert) => alert.superevent_id === target.superevent && alert.alert_type === 'PRELIMINARY').length;
      if (logs > 1 || sent > 1) duplicatesFound++;
      assert.equal(logs, 1, `"queued" logs for ${target.superevent} (key ${key})`);
      assert.equal(sent, 1, `PRELIMINARY alerts for ${target.superevent} (key ${key})`);
    }
    const stuck = [...(await claims(newMaster)).values()].filter((v) => v.includes('"pending"')).length;
    // Submissions the dead master had taken (their claim, or their task) that the new master never got: the window
    // asynchronous replication leaves. None of them may have been answered 202.
    const afterClaims = await claims(newMaster);
    const claimedId = (raw: string | undefined) => (raw ? ((JSON.parse(raw) as { id?: string }).id ?? null) : null);
    const lostOnFailover = [...onOldMaster.keys()].filter((key) => {
      const id = claimedId(onOldMaster.get(key));
      return claimedId(afterClaims.get(key)) !== id || (id !== null && tasksOnOldMaster.includes(id) && !tasksAtFailover.includes(id));
    });

    // The same processes throughout, and the command line finds the new master too.
    assert.equal(web.child.exitCode, null);
    assert.equal(worker.child.exitCode, null);
    assert.equal((JSON.parse((await api('/healthz')).body) as { pid: number }).pid, pids.web);
    const lastId = finals.at(-1)!.body.id as string;
    const lastInfo = JSON.parse((await api(`/api/tasks/${lastId}`)).body) as { worker: string };
    assert.equal(lastInfo.worker, 'one@sentinel');
    assert.equal(worker.child.pid, pids.worker);
    const result = await runCli(['result', lastId], env);
    assert.equal(result.code, 0, `gwqueue result after the failover: ${result.stderr}`);

    const figures = {
      requests: answers.length,
      keys: byKey.size,
      answered202: accepted(),
      answered200duplicate: answers.filter((a) => a.status === 200).length,
      answered503: known503.length + unknown503.length,
      answered503NothingSubmitted: known503.length,
      answered503NotKnown: unknown503.length,
      completed: finalIds.size,
      tasksOnNewMaster: tasks.length,
      duplicates: duplicatesFound + Math.max(0, tasks.length - finalIds.size),
      stuckKeys: stuck,
      accepted202Lost: lost202.length,
      submissionsLostOnFailover: lostOnFailover.length,
      slowestAnswerS: Math.max(...answers.map((a) => a.ms)) / 1000,
      sentinelFailoverS: (failedOverAt - killedAt) / 1000,
      consoleFollowedS: (firstAcceptedAfter - killedAt) / 1000,
    };
    t.diagnostic(`figures: ${JSON.stringify(figures)}`);

    // On the new master alone (the old one is dead) there is no replica to wait for, and the 202 says so.
    const after202 = answers.filter((a) => a.status === 202 && a.at > failedOverAt + 1000);
    assert.ok(after202.length > 0);
    for (const a of after202) assert.equal(a.body.replicas, 0, `a 202 on the new master: ${JSON.stringify(a.body)}`);
    assert.equal(lost202.length, 0, `202s whose task the failover lost: ${lost202.map((a) => a.key)}`);
    assert.equal(tasks.length, finalIds.size, `tasks on the new master ${tasks.length}, keys ${finalIds.size}`);
    for (const id of finalIds) assert.ok(tasks.includes(id));
    assert.equal(stuck, 0, 'claims left pending');
    assert.ok(unknown503.length > 0, 'while the replica was cut off, submissions were answered 503 "not known" rather than 202');
    // The window was real: the failover lost writes the old master had answered (and none of them had been a 202).
    assert.ok(lostOnFailover.length > 0, 'the failover lost none of what the cut-off master wrote: the test did not open the window');
    assert.ok(
      answers.every((a) => a.ms < ANSWER_BOUND_MS),
      `answers slower than ${ANSWER_BOUND_MS} ms: ${answers.filter((a) => a.ms >= ANSWER_BOUND_MS).map((a) => `${a.status} ${a.ms}`)}`,
    );
  });
});
