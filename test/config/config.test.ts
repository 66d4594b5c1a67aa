// Configuration: documented defaults, profiles, the optional JSON file, and errors that name the setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
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

test('every setting is declared once, with a default, a meaning and its readers', () => {
  const names = Object.keys(SETTINGS);
  assert.ok(names.length >= 88, `${names.length} settings`);
  for (const setting of Object.values(SETTINGS)) {
    assert.ok(setting.shown, `${setting.name} shows a default`);
    assert.ok(setting.help.length > 10, `${setting.name} says what it means`);
    assert.ok(setting.readBy.length > 0, `${setting.name} names who reads it`);
  }
});

test('every default the docs show as a value is the real default: setting it changes nothing', () => {
  // A fixed key: without one, each load makes a random secret.
  const base = { GWQUEUE_SECRET_KEY: 'k'.repeat(32) };
  const unset = loadConfig(base);
  const literal = Object.values(SETTINGS).filter((setting) => setting.literal);
  assert.ok(literal.length >= 50, `${literal.length} settings with a literal default`);
  for (const setting of literal) {
    assert.deepEqual(loadConfig({ ...base, [setting.name]: setting.shown }), unset, `${setting.name}=${setting.shown}`);
  }
});

test('every environment name src/config/ reads is a declared setting', () => {
  const dir = new URL('../../src/config/', import.meta.url);
  const read = new Set<string>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(new URL(file, dir), 'utf8');
    // Quoted names ('GWQUEUE_X', `GWQUEUE_X`) and property reads (env.GWQUEUE_X, env['X']).
    for (const match of source.matchAll(/['"`]((?:GWQUEUE|REDIS|GRACEDB|SENTRY)_[A-Z0-9_]+|PORT)['"`]|[eE]nv\.([A-Z][A-Z0-9_]+)/g)) {
      read.add(match[1] ?? match[2]);
    }
  }
  assert.ok(read.size >= 80, `${read.size} names found in src/config/`);
  const undeclared = [...read].filter((name) => !(name in SETTINGS));
  assert.deepEqual(undeclared, [], 'read in src/config/ but not declared');
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

test('docs/configuration.md has a row for every setting, with its default and its readers', () => {
  const page = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const rows = new Map<string, string[]>();
  for (const line of page.split('\n')) {
    const match = /^\| `([A-Z0-9_]+)` \| (.*) \|$/.exec(line);
    if (match) rows.set(match[1], match[2].split(' | '));
  }
  const unescape = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/\\\|/g, '|');
  const wrong: string[] = [];
  for (const setting of Object.values(SETTINGS)) {
    const row = rows.get(setting.name);
    if (!row) wrong.push(`${setting.name}: no row`);
    else if (unescape(row[0]) !== setting.shown) wrong.push(`${setting.name}: default ${row[0]}, declared ${setting.shown}`);
    else if (row[1] !== setting.readBy.join(', ')) wrong.push(`${setting.name}: read by ${row[1]}`);
  }
  assert.deepEqual(wrong, []);
  assert.deepEqual(
    [...rows.keys()].filter((name) => !(name in SETTINGS)),
    [],
    'rows of settings nobody declares',
  );
});
