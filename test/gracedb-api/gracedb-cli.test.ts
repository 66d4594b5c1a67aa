// `gwqueue gracedb` as a real process: the embedded GraceDB's API alone, at GraceDB's /api/ and the console's /gracedb/api/, stopped by SIGTERM.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, type TestRedis } from '../helpers/redis-server.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startProcesses, type Processes } from '../helpers/real-processes.js';
import { coincXml } from '../gracedb/sample-files.js';
import { basic, eventForm, json } from './api-client.js';

const TOKEN = 'cli-token-0123456789abcdefgh';

describe('gwqueue gracedb', () => {
  let environment: Processes;
  let redis: TestRedis;
  let env: Record<string, string>;
  before(async () => {
    environment = await startProcesses();
    redis = environment.redis;
    const { config } = environment;
    env = { REDIS_URL: redis.url, GWQUEUE_PREFIX: config.prefix, GWQUEUE_ENV: 'test', GWQUEUE_API_TOKENS: `robot=${TOKEN}` };
  });
  after(() => environment?.stop());

  test('serves the API at /api/ and /gracedb/api/ on --port; a client creates an event there; SIGTERM stops it', async () => {
    const port = await freePort();
    const server = await startCli(['gracedb', '--port', String(port)], env, /GraceDB API at/);
    try {
      const origin = `http://127.0.0.1:${port}`;
      assert.match(server.output(), new RegExp(`GraceDB API at ${origin}/api/`));
      const doc = await json(await fetch(`${origin}/api/`));
      assert.equal((doc.links as Record<string, string>).events, `${origin}/api/events/`, 'links under the path it was asked at');
      const form = eventForm(
        { group: 'Test', pipeline: 'gstlal' },
        { name: 'coinc.xml', contents: coincXml({ endTime: 1000000001, endTimeNs: 0, far: 1e-9 }) },
      );
      const created = await fetch(`${origin}/api/events/`, { method: 'POST', body: form, headers: basic('robot', TOKEN) });
      assert.equal(created.status, 201);
      const { graceid } = await json(created);
      const again = await json(await fetch(`${origin}/gracedb/api/events/${graceid}`));
      assert.equal((again.links as Record<string, string>).self, `${origin}/gracedb/api/events/${graceid}`);
      assert.equal((await fetch(`${origin}/flower/`)).status, 404, 'the API alone: no dashboard, no forms');
      assert.equal((await fetch(`${origin}/`, { redirect: 'manual' })).headers.get('location'), '/gracedb/api/');
    } finally {
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
    }
  });

  test('a bad --port is one line and exit 64', async () => {
    const result = await runCli(['gracedb', '--port', 'x'], env);
    assert.equal(result.code, 64);
    assert.match(result.stderr, /--port must be a whole number/);
  });
});
