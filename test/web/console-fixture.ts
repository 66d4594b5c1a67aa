// Test wiring for the console: a real Redis, createApp with the real operator chains and embedded GraceDB, supertest agents.
import request from 'supertest';
import type { Express } from 'express';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { jobCount, startEngine, testConfig, type Engine } from '../helpers/engine.js';
import { createApp } from '../../src/web/app.js';
import { createConsoleGraceDb } from '../../src/web/context.js';
import type { GraceDb } from '../../src/gracedb/index.js';
import '../../src/tasks/index.js';

export const API_TOKEN = 'test-token-0123456789abcdef';

export interface ConsoleFixture {
  redis: TestRedis;
  engine: Engine;
  app: Express;
  gracedb: GraceDb;
  /** Jobs of every registered queue, all states: proves that nothing was enqueued. */
  jobCount(): Promise<number>;
  stop(): Promise<void>;
}

export async function startConsole(env: Record<string, string> = {}): Promise<ConsoleFixture> {
  const redis = await startRedis();
  const config = testConfig(redis.url, {
    GWQUEUE_TRUSTED_PROXIES: '127.0.0.1',
    GWQUEUE_AUTHORIZED_USERS: 'albert.einstein',
    GWQUEUE_AUTHORIZED_GROUPS: 'emfollow',
    GWQUEUE_API_TOKENS: `robot=${API_TOKEN}`,
    ...env,
  });
  const engine = await startEngine(config);
  const { gracedb } = createConsoleGraceDb(config, engine.client.redis);
  const app = createApp({ config, client: engine.client, gracedb, listenHost: '127.0.0.1' });
  return {
    redis,
    engine,
    app,
    gracedb,
    jobCount: () => jobCount(engine.client),
    async stop() {
      await engine.stop();
      await redis.stop();
    },
  };
}

export interface FormTokens {
  csrf: string;
  submission: string;
}

/** A browser-like session: GET / as the given proxy user, and read the CSRF and submission tokens of a form. */
export async function browser(app: Express, user: string | null = 'albert.einstein') {
  const agent = request.agent(app);
  const headers: Record<string, string> = user ? { 'X-Proxy-Remote-User': user } : {};
  const tokens = async (form: string): Promise<FormTokens> => {
    const page = await agent.get('/').set(headers).expect(200);
    const section = page.text.slice(page.text.indexOf(`action="/${form}"`));
    const csrf = /name="_csrf" value="([^"]*)"/.exec(section)?.[1] ?? '';
    const submission = /name="submission_token" value="([^"]+)"/.exec(section)?.[1] ?? '';
    return { csrf, submission };
  };
  return { agent, headers, tokens };
}
