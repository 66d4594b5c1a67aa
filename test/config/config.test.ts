// Configuration: documented defaults, profiles, the optional JSON file, and errors that name the setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError, SETTINGS } from '../../src/config/index.js';
import { describeRedis, effectiveRedisUrl } from '../../src/redis/connection.js';
import { bullPrefix } from '../../src/redis/keys.js';

test('defaults: development profile, 7 days / 100,000 results, port 5000, embedded Redis socket', () => {
  const config = loadConfig({});
  assert.equal(config.profile, 'development');
  assert.equal(config.results.ttlSeconds, 7 * 24 * 3600);
  assert.equal(config.results.maxCount, 100_000);
  assert.equal(config.web.port, 5000);
  assert.equal(config.web.flowerPort, 5555);
  assert.equal(config.redis.url, undefined);
  assert.match(effectiveRedisUrl(config), /^unix:\/\/.*\/var\/redis\/redis\.sock$/);
  assert.equal(bullPrefix(config), '{gwqueue}', 'a Cluster hash tag');
});

test('every setting read is documented with its default', () => {
  for (const name of [
    'REDIS_URL',
    'GWQUEUE_ENV',
    'GWQUEUE_PREFIX',
    'GWQUEUE_RESULT_TTL',
    'GWQUEUE_RESULT_MAX_COUNT',
    'PORT',
    'GWQUEUE_SECRET_KEY',
  ]) {
    assert.ok(SETTINGS[name]?.default, `${name} is documented`);
  }
});

test('Redis URLs: redis, rediss, unix socket paths; passwords never shown', () => {
  const tls = loadConfig({ REDIS_URL: 'rediss://user:s3cret@cache.example:6380/2' });
  assert.equal(describeRedis(tls), 'rediss://cache.example:6380/2');
  assert.equal(effectiveRedisUrl(loadConfig({ REDIS_URL: '/run/redis.sock' })), 'unix:///run/redis.sock');
  const sentinel = loadConfig({ REDIS_SENTINELS: 'a:26379,b:26379', REDIS_SENTINEL_NAME: 'gw' });
  assert.deepEqual(sentinel.redis.sentinels, [
    { host: 'a', port: 26379 },
    { host: 'b', port: 26379 },
  ]);
  assert.equal(describeRedis(sentinel), 'sentinel gw@a:26379,b:26379');
});

test('a JSON config file is read; the environment wins over it', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gwqueue-config-'));
  const file = path.join(dir, 'gwqueue.json');
  writeFileSync(file, JSON.stringify({ GWQUEUE_RESULT_TTL: 60, PORT: 6000 }));
  const config = loadConfig({ GWQUEUE_CONFIG: file, PORT: '7000' });
  assert.equal(config.results.ttlSeconds, 60);
  assert.equal(config.web.port, 7000);
  writeFileSync(file, JSON.stringify({ NOT_A_SETTING: 1 }));
  assert.throws(() => loadConfig({ GWQUEUE_CONFIG: file }), /NOT_A_SETTING: unknown setting/);
  writeFileSync(file, '{oops');
  assert.throws(() => loadConfig({ GWQUEUE_CONFIG: file }), /GWQUEUE_CONFIG: .* is not valid JSON/);
});

test('bad values name the setting and the reason', () => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ PORT: '70000' }, 'PORT', /at most 65535/],
    [{ GWQUEUE_RESULT_MAX_COUNT: '0' }, 'GWQUEUE_RESULT_MAX_COUNT', /at least 1/],
    [{ GWQUEUE_PREFIX: 'a b' }, 'GWQUEUE_PREFIX', /letters, digits/],
    [{ REDIS_URL: 'redis://host/abc' }, 'REDIS_URL', /database "abc" is not a number/],
    [{ REDIS_SENTINELS: 'nohostport' }, 'REDIS_SENTINELS', /is not host:port/],
  ];
  for (const [env, setting, reason] of cases) {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => error instanceof ConfigError && error.setting === setting && reason.test(error.message),
    );
  }
});

test('docs/configuration.md documents every setting', async () => {
  const { readFileSync } = await import('node:fs');
  const page = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const missing = Object.keys(SETTINGS).filter((name) => !page.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});
