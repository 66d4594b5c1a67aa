// A hung Redis (SIGSTOP 20 s) under a real console: every submission, page and API answers within the bound, and resubmitting the same key after SIGCONT never makes a second task.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { type TestRedis } from '../helpers/redis-server.js';
import { eventually } from '../helpers/eventually.js';
import { apiFormHeaders, startProcesses, type ConsoleProcess, type Processes } from '../helpers/real-processes.js';
import { bullPrefix } from '../../src/redis/keys.js';
import type { Config } from '../../src/config/index.js';

const TOKEN = 'hung-redis-token-0123456789abcdef';
/** What the console promises with REDIS_COMMAND_TIMEOUT_MS at its default (2 s), plus a loaded machine's margin. */
const BOUND_MS = 3500;
const HUNG_MS = 20_000;

interface Answer {
  what: string;
  status: number;
  ms: number;
  body: string;
}

describe('a hung Redis under a real console', () => {
  let environment: Processes;
  let redis: TestRedis;
  let direct: Redis;
  let config: Config;
  let web: ConsoleProcess;

  before(async () => {
    environment = await startProcesses({ web: { env: { GWQUEUE_API_TOKENS: `robot=${TOKEN}` } } });
    redis = environment.redis;
    config = environment.config;
    web = environment.web;
    direct = new Redis(redis.url, { maxRetriesPerRequest: null });
    direct.on('error', () => {});
  });
  after(async () => {
    redis?.thaw();
    direct?.disconnect();
    await environment?.stop();
  });

  async function call(what: string, path: string, init: RequestInit = {}): Promise<Answer> {
    const started = Date.now();
    try {
      const res = await fetch(web.url + path, { redirect: 'manual', signal: AbortSignal.timeout(30_000), ...init });
      return { what, status: res.status, body: await res.text(), ms: Date.now() - started };
    } catch (error) {
      return { what, status: 0, body: String(error), ms: Date.now() - started };
    }
  }

  const post = (what: string, path: string, key: string, body: string) =>
    call(what, path, { method: 'POST', headers: apiFormHeaders(TOKEN, key), body });
  const submit = (key: string) => post('submit', '/send_mock_event', key, '');
  /** A form that looks its event up in GraceDB (the embedded one, in this Redis) before anything is claimed or queued. */
  const submitPreliminary = (key: string) =>
    post('preliminary form', '/send_preliminary_gcn', key, 'superevent_id=S240101abc&event_id=G123456');

  /** The tasks operators see (a chain's last step: its own ID is its root's), across every queue. */
  async function rootTasks(): Promise<string[]> {
    const ids: string[] = [];
    for (const key of await direct.keys(`${bullPrefix(config)}:*:*`)) {
      const match = /:([0-9a-f-]{36})$/.exec(key);
      if (!match || (await direct.type(key)) !== 'hash') continue;
      const data = await direct.hget(key, 'data');
      if (data && (JSON.parse(data) as { meta?: { rootId?: string } }).meta?.rootId === match[1]) ids.push(match[1]);
    }
    return ids;
  }

  test('SIGSTOP 20 s: every request answered within the bound; after SIGCONT the same keys make one task each', async (t) => {
    const first = await submit(`before-${randomUUID()}`);
    assert.equal(first.status, 202, first.body);
    const taskId = (JSON.parse(first.body) as { id: string }).id;

    redis.freeze();
    const frozenAt = Date.now();
    const answers: Answer[] = [];
    const keys: string[] = [];
    while (Date.now() - frozenAt < HUNG_MS - BOUND_MS) {
      const key = `hung-${randomUUID()}`;
      keys.push(key);
      answers.push(
        ...(await Promise.all([
          submit(key),
          submitPreliminary(`hung-preliminary-${randomUUID()}`),
          call('task page', `/tasks/${taskId}`),
          call('task API', `/api/tasks/${taskId}`, { headers: { accept: 'application/json' } }),
          call('dashboard', '/flower/'),
          call('dashboard API', '/flower/api/queues'),
          call('readyz', '/readyz'),
        ])),
      );
    }
    redis.thaw();

    const slow = answers.filter((a) => a.ms > BOUND_MS);
    const byStatus = answers.reduce<Record<number, number>>((acc, a) => ({ ...acc, [a.status]: (acc[a.status] ?? 0) + 1 }), {});
    t.diagnostic(
      `while hung: ${answers.length} requests, statuses ${JSON.stringify(byStatus)}, slowest ${Math.max(...answers.map((a) => a.ms))} ms`,
    );
    assert.deepEqual(
      slow.map((a) => `${a.what} ${a.status} ${a.ms} ms`),
      [],
      `answered later than ${BOUND_MS} ms`,
    );
    for (const a of answers) assert.equal(a.status, 503, `${a.what} answered ${a.status}: ${a.body.slice(0, 200)}`);
    // The preliminary form fails at its GraceDB look-up, before any claim: nothing was submitted, and it says so.
    for (const a of answers.filter((x) => x.what === 'preliminary form'))
      assert.match((JSON.parse(a.body) as { error: string }).error, /Nothing was submitted/);
    // Reads did nothing to submit: their 503 says what Redis did, with no submission wording and no `submitted` field.
    for (const a of answers.filter((x) => x.what === 'task API' || x.what === 'dashboard API')) {
      const body = JSON.parse(a.body) as { error: string; submitted?: unknown };
      assert.equal(body.submitted, undefined, `${a.what}: ${a.body}`);
      assert.match(body.error, /^Redis did not answer in 2 s; try again in a moment\.$/, a.what);
    }
    for (const a of answers.filter((x) => x.what === 'task page' || x.what === 'dashboard')) {
      assert.doesNotMatch(a.body, /submitted/i, a.what);
      assert.match(a.body, /try again/, a.what);
    }
    for (const a of answers.filter((x) => x.what === 'submit')) {
      const body = JSON.parse(a.body) as { error: string; submitted?: unknown };
      // Either it is known that nothing was submitted, or the answer says it is not known and that resubmitting is safe.
      if (body.submitted === 'unknown') assert.match(body.error, /not known whether .* safe/);
      else assert.match(body.error, /Nothing was submitted/);
    }

    // After SIGCONT: the same keys again, twice each. Whatever the hung requests left behind, each key ends with one task.
    const before = await rootTasks();
    const thawedAt = Date.now();
    const ids = new Map<string, Set<string>>();
    let accepted = 0;
    let duplicates = 0;
    let answerMs = 0;
    for (let round = 0; round < 2; round++) {
      for (const key of keys) {
        const res = await eventually(
          async () => {
            const r = await submit(key);
            return r.status === 202 || r.status === 200 ? r : undefined;
          },
          15_000,
          `resubmission of ${key}`,
        );
        answerMs = Math.max(answerMs, res.ms);
        const body = JSON.parse(res.body) as { id: string; duplicate?: boolean };
        if (body.duplicate) duplicates++;
        else accepted++;
        ids.set(key, (ids.get(key) ?? new Set()).add(body.id));
      }
    }
    const after = await rootTasks();
    const stuck = (await Promise.all((await direct.keys(`${bullPrefix(config)}:submission:*`)).map((k) => direct.get(k)))).filter((v) =>
      v?.includes('"pending"'),
    ).length;
    t.diagnostic(
      `figures: ${JSON.stringify({
        requests: answers.length + 2 * keys.length,
        hung503: answers.length,
        keys: keys.length,
        resubmitted202: accepted,
        duplicates,
        tasksMade: after.length - 1,
        stuckKeys: stuck,
        slowestWhileHungMs: Math.max(...answers.map((a) => a.ms)),
        slowestResubmissionMs: answerMs,
        secondsToRecover: (Date.now() - thawedAt) / 1000,
      })}`,
    );
    for (const [key, set] of ids) assert.equal(set.size, 1, `key ${key} answered with tasks ${[...set]}`);
    // One task per key, and none besides: a hung submission whose enqueue landed later is the one its key answers with.
    assert.equal(after.length, 1 + keys.length, `tasks before resubmitting ${before.length}, after ${after.length}`);
    for (const set of ids.values()) assert.ok(after.includes([...set][0]));
    assert.equal(stuck, 0);
  });
});
